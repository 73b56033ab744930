from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext

from tradeport.audit.services import record_operation
from tradeport.followup import reminders
from tradeport.followup.models import ContactAttachment, ContactRecord


@transaction.atomic
def record_contact(form, *, actor, mail=None, keep_reminder: bool = False) -> tuple[ContactRecord, bool]:
    """FUP-08: store the record; opened from a mail (READ-21), that mail is marked followed up.

    Returns the record and whether it completed the customer's open reminder (FUP-16), so the user is told.
    """
    from tradeport.mail import triage

    record = form.save(commit=False)
    record.created_by = actor
    record.mail = mail
    record.save()
    form.save_m2m()
    for upload in form.cleaned_data["files"]:
        ContactAttachment.stored(upload, record=record)
    if mail is not None:
        triage.mark_followed_up(mail, employee=record.employee, actor=actor, followed_up=True,
                                purpose=record.purpose or mail.purpose, products=list(record.products.all()),
                                category=record.category or mail.category, follow_up_days=mail.follow_up_days)
    # FUP-16: the contact completes the open reminder, unless the user keeps it; a next date sets the next (FUP-11).
    completed = not keep_reminder and reminders.complete(record.customer, record.employee, actor=actor,
                                                         how=record.method.code.lower())
    if record.next_follow_up:
        reminders.schedule(record.customer, record.employee, record.next_follow_up, source="record", actor=actor)
    if record.method.code == "FAX":
        _send_fax(record, form.cleaned_data["files"])
    record_operation(module="followup", action="create", instance=record,
                     changes={"customer": record.customer.code, "method": record.method.code})
    return record, completed


def _send_fax(record: ContactRecord, uploads) -> None:
    """FUP-09, FUP-10: through the gateway when one is configured; the record says what happened."""
    from tradeport.followup import fax

    gateway = fax.gateway()
    if gateway is None:
        record.fax_status = gettext("No fax gateway is configured: this fax was recorded, not sent.")
    else:
        number = record.customer.fax
        try:
            reference = gateway.send(number, record.subject, record.content,
                                     [(a.filename, default_storage.open(a.path, "rb").read())
                                      for a in record.attachments.all()])
            record.fax_status = gettext("Sent to %(number)s by the fax gateway (%(reference)s).") % {
                "number": number, "reference": reference}
        except Exception as exc:  # a gateway's network error must not lose the record the user typed
            record.fax_status = gettext("The fax gateway did not send it: %(reason)s") % {"reason": exc}
    ContactRecord.objects.filter(pk=record.pk).update(fax_status=record.fax_status)
