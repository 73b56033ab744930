import datetime

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradeport.codes.models import CodeItem
from tradeport.customers.forms import (
    CodeChoiceField,
    CodeMultipleChoiceField,
    CustomerPickerWidget,
    ProductPickerWidget,
)
from tradeport.customers.models import Customer
from tradeport.followup.models import ContactRecord
from tradeport.mail.forms import MultipleFileField, MultipleFileInput
from tradeport.org.models import Employee


def may_record_for_others(user) -> bool:
    """FUP-06: the salesperson defaults to the user; a manager may choose another."""
    return user.is_administrator or user.has_perm("accounts.all_customers_inspection")


class ContactRecordForm(forms.ModelForm):
    """FUP-02..08: contact input."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    employee = forms.ModelChoiceField(label=_("Salesperson"), queryset=Employee.objects.none())
    method = CodeChoiceField(label=_("Follow-up method"), queryset=CodeItem.objects.none())
    direction = CodeChoiceField(label=_("Contact direction"), queryset=CodeItem.objects.none(), required=False)
    purpose = CodeChoiceField(label=_("Contact purpose"), queryset=CodeItem.objects.none(), required=False)
    category = CodeChoiceField(label=_("Category"), queryset=CodeItem.objects.none(), required=False)
    products = CodeMultipleChoiceField(label=_("Products"), queryset=CodeItem.objects.none(), required=False,
                                       widget=ProductPickerWidget())
    occurred_at = forms.DateTimeField(label=_("Contact time"),
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    needs_follow_up = forms.BooleanField(label=_("Needs follow-up"), required=False)
    next_follow_up = forms.DateField(label=_("Next follow-up date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    files = MultipleFileField(label=_("Attachments"), required=False, widget=MultipleFileInput())
    # FUP-16: a contact completes the customer's open reminder unless the user keeps it.
    keep_reminder = forms.BooleanField(label=_("Keep the open reminder"), required=False)

    class Meta:
        model = ContactRecord
        fields = ["customer", "employee", "occurred_at", "method", "direction", "purpose", "category", "products",
                  "subject", "content", "remarks", "needs_follow_up", "next_follow_up"]
        widgets = {"content": forms.Textarea(attrs={"rows": 5}), "remarks": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        from tradeport.org.widgets import EmployeePickerWidget

        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"].queryset = Customer.objects.visible_to(user).alive()
        self.fields["customer"].widget = CustomerPickerWidget(user=user)
        employee = user.employee
        if may_record_for_others(user):
            self.fields["employee"].queryset = Employee.objects.salespeople()
            self.fields["employee"].widget = EmployeePickerWidget(salespeople=True)
        else:
            self.fields["employee"].queryset = Employee.objects.filter(pk=getattr(employee, "pk", None))
            self.fields["employee"].disabled = True
        if employee is not None and not self.initial.get("employee"):
            self.initial["employee"] = employee.pk
        for name, group in (("method", "followup_method"), ("direction", "contact_direction"),
                            ("purpose", "contact_purpose"), ("category", "category"), ("products", "product")):
            self.fields[name].queryset = CodeItem.objects.choices_for(group)

    def open_reminder(self):
        """The open reminder this record would complete: of the chosen customer and salesperson, if any."""
        from tradeport.followup.models import Reminder
        from tradeport.system.params import as_id

        def chosen(name):
            field = self.fields[name]
            if self.is_bound and not field.disabled:
                return as_id(field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name)))
            return as_id(self.initial.get(name))

        customer_id, employee_id = chosen("customer"), chosen("employee")
        if customer_id is None or employee_id is None:
            return None
        return Reminder.objects.filter(customer_id=customer_id, employee_id=employee_id, state=Reminder.State.OPEN,
                                       customer__in=self.fields["customer"].queryset).first()

    def clean_files(self):
        from tradeport.system import options

        files = [f for f in self.cleaned_data.get("files") or [] if f]
        limit_mb = options.get("attachment_size_limit_mb")
        total = sum(f.size for f in files)
        if total > limit_mb * 1024 * 1024:
            raise forms.ValidationError(_("The attachments come to %(size)s, over the limit of %(limit)s MB.") % {
                "size": filesizeformat(total), "limit": limit_mb})
        return files

    def clean_occurred_at(self):
        moment = self.cleaned_data["occurred_at"]
        now = timezone.now()
        if not now - datetime.timedelta(days=365 * 30) <= moment <= now + datetime.timedelta(days=1):
            raise forms.ValidationError(_("Enter when the contact took place: not in the future, not decades ago."))
        return moment

    def clean_next_follow_up(self):
        from tradeport.followup.reminders import date_problem

        date = self.cleaned_data.get("next_follow_up")
        problem = date and self.data.get(self.add_prefix("needs_follow_up")) and date_problem(
            date, earliest=timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return date

    def clean(self):
        cleaned = super().clean()
        # A date that was refused already says why; only a missing one needs asking for.
        if cleaned.get("needs_follow_up") and not cleaned.get("next_follow_up") and "next_follow_up" not in self.errors:
            self.add_error("next_follow_up", _("Choose the date of the next follow-up."))
        if not cleaned.get("needs_follow_up"):
            cleaned["next_follow_up"] = None
        return cleaned
