from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account, IpBinding
from tradeport.org.widgets import EmployeePickerWidget

TEMPLATE_CHOICES = [
    ("", _("None (individual grants only)")),
    (MANAGER_TEMPLATE, _("Manager template")),
    (EMPLOYEE_TEMPLATE, _("Employee template")),
]


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class AccountForm(forms.ModelForm):
    """Create and modify accounts (ACC-08..10).

    The name is the linked employee's (ACC-12): shown from the employee record and,
    when changed here, saved there, so every page shows the same name.
    """

    password1 = forms.CharField(label=_("Password"), strip=False, required=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Confirm password"), strip=False, required=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    template = forms.ChoiceField(label=_("Role template"), choices=TEMPLATE_CHOICES, required=False)

    class Meta:
        model = Account
        fields = ["username", "employee_name", "employee_code", "is_active", "mobile",
                  "notify_email", "remarks", "must_change_password"]
        labels = {"username": _("Account (login name)"), "is_active": _("Enabled")}
        # Our own texts: Django's stock ones speak of "users" and "active" (and, in
        # Chinese, of 帐号 and 你), not of this form.
        help_texts = {
            "username": _("Letters, digits and @ . + - _ only, at most 150 characters. "
                          "The employee's English name or a pinyin abbreviation is easy to remember."),
            "is_active": _("A disabled account cannot log in. Disable an account rather than deleting "
                           "it: its history is kept."),
            "employee_name": _("Once the employee number matches an employee, the name is the one on "
                               "the employee record: changing it here renames the employee too."),
            "must_change_password": _("The account must choose a new password at its next login."),
        }
        error_messages = {"username": {"unique": _("Another account already has this login name.")}}
        widgets = {
            "remarks": forms.Textarea(attrs={"rows": 2}),
            "employee_code": EmployeePickerWidget(to_field="code"),
        }

    field_order = ["username", "password1", "password2", "must_change_password", "employee_code",
                   "employee_name", "template", "is_active", "mobile", "notify_email", "remarks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = self.instance.pk is None
        if self.creating:
            self.fields["password1"].required = True
            self.fields["password2"].required = True
            # A new account chooses its own password at first login (ACC-06). The form's
            # initial, not only the field's: the unsaved instance's False would win.
            self.fields["must_change_password"].initial = True
            self.initial["must_change_password"] = True
        else:
            self.fields["password1"].help_text = _("Leave empty to keep the current password.")
            self.fields["template"].initial = (
                self.instance.groups.values_list("name", flat=True).first() or ""
            )
            employee = self.instance.employee
            if employee is not None:
                self.initial["employee_name"] = employee.name
        self.employee_warning = ""

    def clean_employee_code(self):
        code = self.cleaned_data["employee_code"].strip()
        if code and Account.objects.exclude(pk=self.instance.pk).filter(employee_code=code).exists():
            raise forms.ValidationError(_("Another account already uses this employee number."))
        return code

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 or p2:
            if p1 != p2:
                self.add_error("password2", _("The two passwords do not match."))
            else:
                probe = self.instance
                probe.username = cleaned.get("username") or probe.username
                try:
                    password_validation.validate_password(p1, probe)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        employee = self._linked_employee()
        name = (cleaned.get("employee_name") or "").strip()
        if employee is not None and "employee_name" in self.changed_data and not name:
            self.add_error("employee_name", _("The employee record needs a name."))
        return cleaned

    def _linked_employee(self):
        from tradeport.org.models import Employee

        code = self.cleaned_data.get("employee_code")
        return Employee.objects.filter(code=code).first() if code else None

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("password1"):
            account.set_password(self.cleaned_data["password1"])
        employee = self._linked_employee()
        if employee is not None:
            # One place for the name: the employee record; the account keeps no copy.
            account.employee_name = ""
            typed = self.cleaned_data["employee_name"].strip()
            if "employee_name" in self.changed_data and typed != employee.name:
                self.renamed_employee = (employee, typed)
        if commit:
            account.save()
            self.save_employee_name()
        return account

    def save_employee_name(self) -> None:
        """Rename the linked employee to the name typed on this form, if it was changed."""
        from tradeport.org import services as org_services

        employee, name = getattr(self, "renamed_employee", (None, ""))
        if employee is not None:
            employee.name = name
            org_services.employee_save(employee=employee)
            self.renamed_employee = (None, "")


class ForcedPasswordChangeForm(PasswordChangeForm):
    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError(_("Choose a password different from the current one."))
        return new


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["language", "page_size"]

    def clean_page_size(self):
        size = self.cleaned_data["page_size"]
        if not 10 <= size <= 200:
            raise forms.ValidationError(_("Choose between 10 and 200 rows."))
        return size


class IpBindingForm(forms.ModelForm):
    class Meta:
        model = IpBinding
        fields = ["account", "network", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.company().with_names()

    def clean_network(self):
        import ipaddress

        raw = self.cleaned_data["network"].strip()
        try:
            return str(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            raise forms.ValidationError(
                _("Enter an IP address or a CIDR range such as 192.168.1.0/24.")
            ) from None
