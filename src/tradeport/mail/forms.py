from django import forms
from django.utils.translation import gettext_lazy as _

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
