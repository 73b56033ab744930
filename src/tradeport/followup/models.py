from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tradeport.customers.models import Customer
from tradeport.mail.models import UploadedFile
from tradeport.org.models import Employee


class ContactRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """PERM-13: the records of customers the user may see."""
        return self.filter(customer__in=Customer.objects.visible_to(user).values("pk"))


class ContactRecord(models.Model):
    """One entry of a customer's detailed follow-up record (FUP-01..08), entered by hand."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contact_records",
                                 verbose_name=_("customer"))
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="contact_records",
                                 verbose_name=_("salesperson"))
    method = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("follow-up method"))
    direction = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("contact direction"))
    purpose = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("contact purpose"))
    category = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"))
    products = models.ManyToManyField("codes.CodeItem", blank=True, related_name="+", verbose_name=_("products"))
    subject = models.CharField(_("subject"), max_length=300)
    content = models.TextField(_("main content"), blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    occurred_at = models.DateTimeField(_("contact time"), default=timezone.now)
    next_follow_up = models.DateField(_("next follow-up date"), null=True, blank=True)
    # READ-21: the mail this record answers, when it was entered from one.
    mail = models.ForeignKey("mail.Mail", on_delete=models.SET_NULL, null=True, blank=True, related_name="contact_records")
    folder = models.ForeignKey("followup.CustomerFolder", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="records")
    # FUP-09: what the fax gateway did with a fax record, or that there is none.
    fax_status = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContactRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="contact_record_timeline"),
            models.Index(fields=["employee", "-occurred_at"], name="contact_record_by_employee"),
        ]

    def __str__(self) -> str:
        return self.subject


class ContactAttachment(UploadedFile):
    """FUP-05: a scanned fax, a photo of a visit, a file from a chat."""

    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="attachments")


class Reminder(models.Model):
    """FUP-11..18: a customer to contact again, for one salesperson, from a date in their calendar."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("reminder", "Open")
        DONE = "done", pgettext_lazy("reminder", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("reminder", "Cancelled")

    class Source(models.TextChoices):
        MAIL = "mail", _("Follow-up days on a mail")
        REPLY = "reply", _("Next contact date of a reply")
        RECORD = "record", _("Next follow-up date of a contact record")
        LEVEL = "level", _("No contact for the days of the customer's level")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reminders")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField(_("due date"))
    state = models.CharField(max_length=10, choices=State, default=State.OPEN)
    source = models.CharField(max_length=8, choices=Source)
    mail = models.ForeignKey("mail.Mail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    # What happened to it, for the customer's timeline: [{"at", "action", "by", "date"}].
    history = models.JSONField(default=list, blank=True)
    # The last time it was set, moved, postponed or closed: level reminders wait for contact after it.
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["customer", "employee"], condition=Q(state="open"),
                                               name="one_open_reminder")]
        indexes = [models.Index(fields=["employee", "state", "due_date"], name="reminder_due"),
                   models.Index(fields=["customer", "employee", "-changed_at"], name="reminder_by_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.due_date}"

    @property
    def overdue_days(self) -> int:
        return max(0, (timezone.localdate() - self.due_date).days)

    @property
    def days_left(self) -> int:
        return max(0, (self.due_date - timezone.localdate()).days)


class CustomerFolder(models.Model):
    """FUP-17, VIEW-09: a folder of a customer's history (a project, a contract), filled by hand."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(_("folder name"), max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="one_folder_name_per_customer")]

    def __str__(self) -> str:
        return self.name
