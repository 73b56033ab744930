from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tradeport.customers.addresses import normalise
from tradeport.mail.models import AddressRule, BlockedAddress, Mailbox
from tradeport.org.models import Employee


class MailboxForm(forms.ModelForm):
    """MBOX-02: a mailbox's settings. Saved passwords are never shown again; empty keeps them."""

    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    smtp_password = forms.CharField(label=_("SMTP password"), required=False, strip=False,
                                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    folders_text = forms.CharField(label=_("Folders"), required=False,
                                   help_text=_("IMAP folders to fetch, separated by commas. Empty: INBOX."))

    class Meta:
        model = Mailbox
        fields = ["address", "display_name", "protocol", "host", "port", "security", "username",
                  "smtp_host", "smtp_port", "smtp_security", "smtp_username", "poll_interval_minutes", "enabled"]

    field_order = ["address", "display_name", "protocol", "host", "port", "security", "username", "password",
                   "folders_text", "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password",
                   "poll_interval_minutes", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folders_text"].initial = ", ".join(self.instance.folders or [])
        if self.instance.password_encrypted:
            self.fields["password"].help_text = _("A password is saved. Leave empty to keep it.")
        if self.instance.smtp_password_encrypted:
            self.fields["smtp_password"].help_text = _("A password is saved. Leave empty to keep it.")

    def clean_address(self):
        try:
            return normalise(self.cleaned_data["address"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("protocol") != Mailbox.Protocol.NONE and not cleaned.get("host"):
            self.add_error("host", _("Enter the incoming server, or choose None (import only)."))
        return cleaned

    def keep_typed_passwords(self) -> None:
        """Re-show the passwords just typed (to their typist), so that a form shown again loses nothing."""
        for name in ("password", "smtp_password"):
            self.fields[name].widget.render_value = True

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        mailbox.folders = [f.strip() for f in self.cleaned_data["folders_text"].split(",") if f.strip()]
        if self.cleaned_data.get("password"):
            mailbox.password = self.cleaned_data["password"]
        if self.cleaned_data.get("smtp_password"):
            mailbox.smtp_password = self.cleaned_data["smtp_password"]
        if commit:
            mailbox.save()
        return mailbox


class BlockedAddressForm(forms.ModelForm):
    class Meta:
        model = BlockedAddress
        fields = ["address", "reason"]

    def clean_address(self):
        try:
            return normalise(self.cleaned_data["address"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class AddressRuleForm(forms.ModelForm):
    class Meta:
        model = AddressRule
        fields = ["address", "employee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = Employee.objects.salespeople().order_by("code")

    def clean_address(self):
        try:
            return normalise(self.cleaned_data["address"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class AddressTransferForm(forms.Form):
    """MAIL-14: an address and its new salesperson; "Remove" (the default) cancels its automatic distribution."""

    address = forms.CharField(label=_("Email address"), max_length=254)
    employee = forms.ModelChoiceField(queryset=Employee.objects.none(), required=False,
                                      label=_("Target salesperson"),
                                      empty_label=pgettext_lazy("address rule target", "Remove"),
                                      help_text=_("Remove: the address's future mail goes to the undistributed "
                                                  "queue again."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = Employee.objects.salespeople().order_by("code")
        self.fields["employee"].label_from_instance = lambda e: f"{e.code} {e.name}"

    def clean_address(self):
        try:
            return normalise(self.cleaned_data["address"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None


IMPORT_SUFFIXES = (".eml", ".zip", ".mbox", ".mbx", ".msg")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(IMPORT_SUFFIXES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class MailImportForm(forms.Form):
    """ADM-11: upload earlier mail into a mailbox's history."""

    mailbox = forms.ModelChoiceField(label=_("Mailbox"), queryset=Mailbox.objects.none(),
                                     help_text=_("The mailbox the mail belonged to."))
    files = MultipleFileField(label=_("Files"), help_text=_(
        ".eml files, a .zip of them (folders named sendbox inside count as sent mail), .mbox or Outlook .msg."))
    direction = forms.ChoiceField(label=_("The files hold"), initial="inbox", widget=forms.RadioSelect, choices=(
        ("inbox", _("Received mail (inbox)")), ("sent", _("Sent mail (sendbox)"))))
    followed_up = forms.BooleanField(label=_("Already followed up"), required=False, help_text=_(
        "The mail was handled: it fills no pending queue, and strangers' mail does not go to undistributed."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].queryset = Mailbox.objects.order_by("kind", "address")

    def clean_files(self):
        files = self.cleaned_data["files"]
        for upload in files:
            name = upload.name or ""
            if not name.lower().endswith(IMPORT_SUFFIXES):
                raise forms.ValidationError(_("%(name)s is not an .eml, .zip, .mbox or .msg file.") % {"name": name})
            if not upload.size:
                raise forms.ValidationError(_("%(name)s is empty.") % {"name": name})
            if name.lower().endswith(".zip"):
                import zipfile

                if not zipfile.is_zipfile(upload):
                    raise forms.ValidationError(_("%(name)s is not a readable .zip archive.") % {"name": name})
                upload.seek(0)
        return files


class SystemMailFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    mailbox = forms.ModelChoiceField(label=_("Mailbox"), queryset=Mailbox.objects.order_by("kind", "address"),
                                     required=False, empty_label=_("All mailboxes"))
    route = forms.ChoiceField(label=_("Route"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), required=False)
    before = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        from tradeport.mail.models import Mail

        super().__init__(*args, **kwargs)
        self.fields["route"].choices = [("", _("All routes")), *Mail.Route.choices]
        self.fields["direction"].choices = [("", _("Received and sent")), *Mail.Direction.choices]


# Triage and queue actions (MAIL-03..10, QUE-08..10, READ-09..19) ----------------------------

def _salespeople():
    return Employee.objects.salespeople()


class DistributeForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("Salesperson"), queryset=Employee.objects.none())
    future_rule = forms.BooleanField(label=_("Distribute future mail from this address to this salesperson automatically"),
                                     required=False)
    note = forms.CharField(label=_("Note for the salesperson"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from tradeport.org.widgets import EmployeePickerWidget

        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = _salespeople()
        self.fields["employee"].widget = EmployeePickerWidget(salespeople=True)


class MergeForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Mailbox.objects.none())
    scope = forms.ChoiceField(label=_("Merge"), widget=forms.RadioSelect, initial="all", choices=(
        ("all", _("All mail from this address (the address becomes a backup email)")),
        ("one", _("Only this mail"))))

    def __init__(self, *args, user=None, **kwargs):
        from tradeport.customers.forms import CustomerPickerWidget
        from tradeport.customers.models import Customer

        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(user).alive()
        self.fields["customer"].widget = CustomerPickerWidget(user=user)


class SpamForm(forms.Form):
    block = forms.BooleanField(label=_("Also refuse all future mail from this address"), required=False)


class FollowUpForm(forms.Form):
    """READ-09..14: the panel under the mail body."""

    followed_up = forms.BooleanField(label=_("Followed up"), required=False)
    purpose = forms.ModelChoiceField(label=_("Contact purpose"), queryset=Mailbox.objects.none(), required=False)
    products = forms.ModelMultipleChoiceField(label=_("Products"), queryset=Mailbox.objects.none(), required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 4}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Mailbox.objects.none(), required=False)
    follow_up_days = forms.IntegerField(label=_("Follow-up days"), required=False, min_value=0, max_value=365,
                                        help_text=_("After this many days the customer appears in your reminders; 0: none."))

    def __init__(self, *args, mail=None, **kwargs):
        from tradeport.codes.models import CodeItem

        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = CodeItem.objects.choices_for("contact_purpose", keep=mail and mail.purpose_id)
        self.fields["products"].queryset = CodeItem.objects.choices_for("product")
        self.fields["category"].queryset = CodeItem.objects.choices_for("category", keep=mail and mail.category_id)


class TransferForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("Colleague"), queryset=Employee.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from tradeport.org.widgets import EmployeePickerWidget

        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = _salespeople()
        self.fields["employee"].widget = EmployeePickerWidget(salespeople=True)


class CopyForm(forms.Form):
    employees = forms.ModelMultipleChoiceField(label=_("Colleagues"), queryset=Employee.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from tradeport.org.widgets import EmployeePickerWidget

        super().__init__(*args, **kwargs)
        self.fields["employees"].queryset = Employee.objects.active()
        self.fields["employees"].widget = EmployeePickerWidget(multiple=True)


class AddressListField(forms.CharField):
    """SEND-02: addresses typed and separated by ";"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "placeholder": "a@example.com; b@example.com"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        from tradeport.mail.sending import split_addresses

        return split_addresses(super().clean(value))


class ComposeForm(forms.Form):
    """SEND-01..04, SEND-07, SEND-13: the compose form. Sending needs a recipient; a draft does not."""

    # Laid out in their own rows under the body.
    bottom_fields = ("read_receipt", "follow_up_source", "follow_up_days", "files", "send_at", "customer_time",
                     "purpose", "next_contact", "remarks")

    mailbox = forms.ModelChoiceField(label=pgettext_lazy("mail header", "From"), queryset=Mailbox.objects.none(),
                                     empty_label=None)
    to = AddressListField(label=pgettext_lazy("mail header", "To"))
    cc = AddressListField(label=pgettext_lazy("mail header", "Cc"))
    bcc = AddressListField(label=pgettext_lazy("mail header", "Bcc"),
                           help_text=_("Recipients in BCC receive the mail without anyone seeing their address."))
    subject = forms.CharField(label=_("Subject"), max_length=500, required=False)
    body = forms.CharField(label=_("Message"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 14}))
    files = MultipleFileField(label=_("Attachments"), required=False, widget=MultipleFileInput())
    read_receipt = forms.BooleanField(label=_("Request a read receipt"), required=False)
    follow_up_source = forms.BooleanField(label=_("Mark the mail I answer as followed up"), required=False)
    follow_up_days = forms.IntegerField(label=_("Follow-up days"), required=False, min_value=0, max_value=365)
    purpose = forms.ModelChoiceField(label=_("Contact purpose"), queryset=Mailbox.objects.none(), required=False)
    next_contact = forms.DateField(label=_("Next contact date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    remarks = forms.CharField(label=_("Remarks"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    send_at = forms.DateTimeField(label=_("Send at"), required=False, help_text=_("Empty: at once."),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    customer_time = forms.BooleanField(label=_("in the customer's local time"), required=False)

    def __init__(self, *args, user=None, sending: bool = True, existing_size: int = 0, **kwargs):
        from tradeport.codes.models import CodeItem
        from tradeport.mail.sending import sendable_mailboxes

        super().__init__(*args, **kwargs)
        self.sending = sending
        self.existing_size = existing_size
        self.fields["mailbox"].queryset = sendable_mailboxes(user)
        self.fields["purpose"].queryset = CodeItem.objects.choices_for("contact_purpose")

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].splitlines())  # a header is one line

    def clean_files(self):
        from tradeport.system import options

        files = [f for f in self.cleaned_data.get("files") or [] if f]
        limit_mb = options.get("attachment_size_limit_mb")
        total = self.existing_size + sum(f.size for f in files)
        if total > limit_mb * 1024 * 1024:
            raise forms.ValidationError(_(
                "The attachments come to %(size)s, over the limit of %(limit)s MB per mail. "
                "Remove some, or send them in several mails.") % {
                "size": filesizeformat(total), "limit": limit_mb})
        return files

    def clean_next_contact(self):
        from tradeport.followup.reminders import date_problem

        date = self.cleaned_data.get("next_contact")
        problem = date and date_problem(date, earliest=timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return date

    def clean(self):
        cleaned = super().clean()
        if self.sending and not self.errors and not (cleaned.get("to") or cleaned.get("cc") or cleaned.get("bcc")):
            self.add_error("to", _("Add at least one recipient."))
        return cleaned


class MailTemplateForm(forms.ModelForm):
    shared = forms.BooleanField(label=_("Shared with everyone"), required=False,
                                help_text=_("Shared templates are offered to every user; only managers share."))

    class Meta:
        from tradeport.mail.models import MailTemplate

        model = MailTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, may_share: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if may_share:
            self.fields["shared"].initial = self.instance.pk is not None and self.instance.owner_id is None
        else:
            del self.fields["shared"]


class CommonPhraseForm(forms.ModelForm):
    class Meta:
        from tradeport.mail.models import CommonPhrase

        model = CommonPhrase
        fields = ["title", "content"]
        labels = {"title": pgettext_lazy("common phrase", "Title")}  # its heading, not a job title
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}


class SenderSettingsForm(forms.ModelForm):
    class Meta:
        from tradeport.mail.models import SenderSettings

        model = SenderSettings
        fields = ["default_mailbox", "signature"]
        widgets = {"signature": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"signature": _("Added below the text of every new mail and reply.")}

    def __init__(self, *args, user=None, **kwargs):
        from tradeport.mail.sending import sendable_mailboxes

        super().__init__(*args, **kwargs)
        self.fields["default_mailbox"].queryset = sendable_mailboxes(user)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewerForm(forms.Form):
    """SEND-12: the reviewer's account name; empty: no approval needed."""

    reviewer = forms.CharField(label=_("Current reviewer"), required=False, max_length=150,
                               help_text=_("The account name of the reviewer. Empty: this account's mail needs no approval."))

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_reviewer(self):
        from tradeport.accounts.models import Account

        name = self.cleaned_data["reviewer"].strip()
        if not name:
            return None
        reviewer = Account.objects.company().filter(username=name, is_active=True).first()
        if reviewer is None:
            raise forms.ValidationError(_("No active account is called %(name)s.") % {"name": name})
        if reviewer.pk == self.account.pk:
            raise forms.ValidationError(_("An account cannot review its own mail."))
        return reviewer


class MassMailingForm(forms.ModelForm):
    """MASS-02: like the compose form, for one message to many."""

    files = MultipleFileField(label=_("Attachments"), required=False, widget=MultipleFileInput())

    class Meta:
        from tradeport.mail.models import MassMailing

        model = MassMailing
        fields = ["mailbox", "subject", "body"]
        labels = {"mailbox": pgettext_lazy("mail header", "From")}
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts = {"body": _("{name} and {company} (or {姓名} and {公司}) become each recipient's contact name and company.")}

    def __init__(self, *args, user=None, **kwargs):
        from tradeport.mail.sending import sendable_mailboxes

        super().__init__(*args, **kwargs)
        self.fields["mailbox"].queryset = sendable_mailboxes(user)
        self.fields["mailbox"].empty_label = None

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].splitlines())  # a header is one line

    def clean_files(self):
        from tradeport.system import options

        files = [f for f in self.cleaned_data.get("files") or [] if f]
        limit_mb = options.get("attachment_size_limit_mb")
        existing = sum(a.size for a in self.instance.attachments.all()) if self.instance.pk else 0
        total = existing + sum(f.size for f in files)
        if total > limit_mb * 1024 * 1024:
            raise forms.ValidationError(_(
                "The attachments come to %(size)s, over the limit of %(limit)s MB per mail. "
                "Remove some, or send them in several mails.") % {"size": filesizeformat(total), "limit": limit_mb})
        return files


class RecipientUploadForm(forms.Form):
    """MASS-04: a file of addresses, or addresses typed."""

    file = forms.FileField(label=_("Address file"), required=False,
                           help_text=_(".txt: addresses separated by new lines, “;” or “,”. .csv or .xlsx: address, name, company per row."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,.xlsx"}))
    addresses = forms.CharField(label=_("Or type addresses"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3, "placeholder": "a@example.com; b@example.com"}))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("addresses", "").strip():
            raise forms.ValidationError(_("Choose a file or type some addresses."))
        return cleaned


class OptOutForm(forms.ModelForm):
    class Meta:
        from tradeport.mail.models import OptOut

        model = OptOut
        fields = ["address", "reason"]

    def clean_address(self):
        address = normalise(self.cleaned_data["address"])
        from django.core.validators import validate_email

        validate_email(address)
        return address


class AddressBookEntryForm(forms.ModelForm):
    class Meta:
        from tradeport.mail.models import AddressBookEntry

        model = AddressBookEntry
        fields = ["name", "company", "email", "phone", "mobile", "fax", "group", "remarks"]
        widgets = {"remarks": forms.Textarea(attrs={"rows": 2})}
