import mimetypes

from django.db import transaction

from tradeport.audit.services import record_operation
from tradeport.followup import reminders
from tradeport.followup.models import ContactAttachment, ContactRecord


@transaction.atomic
def record_contact(form, *, actor, mail=None) -> ContactRecord:
    """FUP-08: store the record; opened from a mail (READ-21), that mail is marked followed up."""
    from tradeport.mail import triage
    from tradeport.mail.services import _store_file

    record = form.save(commit=False)
    record.created_by = actor
    record.mail = mail
    record.save()
    form.save_m2m()
    for upload in form.cleaned_data["files"]:
        data = upload.read()
        _digest, path = _store_file("attachments", data)
        ContactAttachment.objects.create(
            record=record, filename=upload.name[:255], size=len(data), path=path,
            content_type=upload.content_type or mimetypes.guess_type(upload.name)[0] or "application/octet-stream")
    if mail is not None:
        triage.mark_followed_up(mail, employee=record.employee, actor=actor, followed_up=True,
                                purpose=record.purpose or mail.purpose, products=list(record.products.all()),
                                category=record.category or mail.category, follow_up_days=mail.follow_up_days)
    # FUP-16: the contact completes the open reminder; a next date sets the next one (FUP-11).
    reminders.complete(record.customer, record.employee, actor=actor, how=record.method.code.lower())
    if record.next_follow_up:
        reminders.schedule(record.customer, record.employee, record.next_follow_up, source="record", actor=actor)
    record_operation(module="followup", action="create", instance=record,
                     changes={"customer": record.customer.code, "method": record.method.code})
    return record
