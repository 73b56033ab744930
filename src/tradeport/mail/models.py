from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tradeport.customers.models import Contact, Customer
from tradeport.mail import crypto
from tradeport.org.models import Employee


class Mailbox(models.Model):
    """A system or personal mailbox (MBOX-01..06). Passwords are stored encrypted."""

    class Kind(models.TextChoices):
        SYSTEM = "system", pgettext_lazy("mailbox kind", "System mailbox")
        PERSONAL = "personal", pgettext_lazy("mailbox kind", "Personal mailbox")

    class Protocol(models.TextChoices):
        IMAP = "imap", "IMAP"
        POP3 = "pop3", "POP3"
        NONE = "none", _("None (import only)")

    class Security(models.TextChoices):
        SSL = "ssl", "SSL/TLS"
        STARTTLS = "starttls", "STARTTLS"
        PLAIN = "plain", _("None (plain text)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.SYSTEM)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="mailboxes", verbose_name=_("owner"))
    address = models.CharField(_("email address"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    protocol = models.CharField(_("incoming protocol"), max_length=5, choices=Protocol, default=Protocol.IMAP)
    host = models.CharField(_("incoming server"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    security = models.CharField(_("security"), max_length=10, choices=Security, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    folders = models.JSONField(_("folders"), default=list, blank=True, help_text=_("IMAP folders to fetch; empty: INBOX."))
    smtp_host = models.CharField(_("SMTP server"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_security = models.CharField(_("SMTP security"), max_length=10, choices=Security, default=Security.SSL)
    smtp_username = models.CharField(_("SMTP user name"), max_length=200, blank=True)
    smtp_password_encrypted = models.TextField(blank=True, editable=False)
    poll_interval_minutes = models.PositiveIntegerField(_("polling interval"), null=True, blank=True,
                                                        help_text=_("Minutes; empty: the system option."))
    enabled = models.BooleanField(_("enabled"), default=True)
    # Fetch state
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["kind", "address"]

    def __str__(self) -> str:
        return self.address

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value)

    @property
    def smtp_password(self) -> str:
        return crypto.decrypt(self.smtp_password_encrypted)

    @smtp_password.setter
    def smtp_password(self, value: str) -> None:
        self.smtp_password_encrypted = crypto.encrypt(value)

    @property
    def default_port(self) -> int:
        if self.protocol == self.Protocol.POP3:
            return 995 if self.security == self.Security.SSL else 110
        return 993 if self.security == self.Security.SSL else 143

    @property
    def fetch_folders(self) -> list[str]:
        return self.folders or ["INBOX"]


class FolderState(models.Model):
    """The high-water mark of one folder under one UIDVALIDITY; moves only after a batch commits."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folder_states")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)
    server_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder", "uidvalidity"], name="folder_state_unique")]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.folder} {self.uidvalidity}:{self.last_uid}"


class RawMessage(models.Model):
    """The original bytes, stored once by SHA-256 in the file storage."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=200)
    stored_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.sha256


class FetchLedger(models.Model):
    """What was taken from the server: (mailbox, folder, UIDVALIDITY, UID) or a POP3 UIDL (MBOX-08)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="ledger")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField(default=0)
    uid = models.CharField(max_length=200)
    raw = models.ForeignKey(RawMessage, on_delete=models.PROTECT, related_name="+")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder", "uidvalidity", "uid"], name="ledger_unique")]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.folder} {self.uid}"


class MailQuerySet(models.QuerySet):
    def visible_to(self, user):
        """PERM-13: mail of the user's customers, mail delivered or copied to the user, and mail the user
        sent; PERM-08 sees all."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator or user.has_perm("accounts.system_mail"):
            return self
        customers = Customer.objects.visible_to(user).values("pk")
        condition = Q(customer__in=customers)
        if user.has_perm("accounts.view_personal_mailboxes"):  # PERM-10
            condition |= Q(mailbox__kind=Mailbox.Kind.PERSONAL)
        if user.employee_code:
            delivered = Delivery.objects.filter(employee__code=user.employee_code).values("mail_id")
            copied = InternalCopy.objects.filter(employee__code=user.employee_code).values("mail_id")
            # DAILY-04: what the user sent is theirs to read, whoever it went to.
            condition |= Q(pk__in=delivered) | Q(pk__in=copied) | Q(sent_by__code=user.employee_code)
        return self.filter(condition)


class TriageAction(models.TextChoices):
    REPORT = "report", _("Delivery report linked to the sent mail")
    DISTRIBUTED = "distributed", _("Distributed")
    MERGED = "merged", _("Merged into a customer")
    CREATED = "created", _("Record created")
    TRASH = "trash", _("Moved to the trash")
    SPAM = "spam", _("Spam")


class Mail(models.Model):
    """One message, stored once whoever it is delivered to."""

    class Direction(models.TextChoices):
        IN = "in", pgettext_lazy("mail direction", "Received")
        OUT = "out", pgettext_lazy("mail direction", "Sent")

    class Route(models.TextChoices):
        CUSTOMER = "customer", _("Known customer")
        RULE = "rule", _("Address rule")
        PERSONAL = "personal", _("Personal mailbox")
        UNDISTRIBUTED = "undistributed", _("Undistributed")
        OUTGOING = "outgoing", _("Sent by us")
        NO_OWNER = "no_owner", _("Customer without owner")
        ARCHIVED = "archived", _("Imported as already handled")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="mails")
    raw = models.ForeignKey(RawMessage, on_delete=models.PROTECT, related_name="mails")
    direction = models.CharField(max_length=3, choices=Direction, default=Direction.IN)
    kind = models.CharField(max_length=10, default="message")
    message_id = models.CharField(max_length=300, db_index=True, blank=True)
    # parsing.content_digest: tells apart different mails sent under one Message-ID ("" before it was kept)
    content_hash = models.CharField(max_length=64, blank=True, default="")
    in_reply_to = models.CharField(max_length=300, blank=True, db_index=True)
    references = models.JSONField(default=list, blank=True)
    thread_subject = models.CharField(max_length=300, blank=True, db_index=True)
    # The conversation: the Message-ID (or raw digest) of its first known mail (see threads.py).
    thread_key = models.CharField(max_length=300, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    from_address = models.CharField(max_length=254, blank=True, db_index=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    date = models.DateTimeField(null=True, blank=True, db_index=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    has_remote_images = models.BooleanField(default=False)
    defects = models.JSONField(default=list, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="mails")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="mails")
    route = models.CharField(max_length=15, choices=Route)
    route_reason = models.CharField(max_length=500)  # as written at intake, for search
    route_facts = models.JSONField(default=dict, blank=True)  # the same, shown in the reader's language
    # A stranger whose domain matches a customer's: shown to triage, never used to route.
    suggested_customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="+")
    # Triage of undistributed mail (MAIL-02..12): set once, by a conditional UPDATE, so one manager wins.
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    triage_action = models.CharField(max_length=12, choices=TriageAction, blank=True)
    # Followed up (READ-09..14, MAIL-19): one owner's mark takes the mail out of every owner's queue.
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followed_up_by = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    purpose = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("contact purpose"))
    products = models.ManyToManyField("codes.CodeItem", blank=True, related_name="+", verbose_name=_("products"))
    category = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"))
    follow_up_days = models.PositiveSmallIntegerField(_("follow-up days"), null=True, blank=True)
    # FUP-17: a customer's own folder this mail was moved into by hand.
    folder = models.ForeignKey("followup.CustomerFolder", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="mails")
    # SEND-09: what the author noted when sending a reply; the reminders (FUP-11) read the date.
    next_contact = models.DateField(_("next contact date"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    # The system recycle bin (MAIL-12, SYS-04): out of every user view until restored or purged.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A bounce or read receipt (kind "dsn"/"mdn"): the sent mail it reports on (SEND-07, SEND-17).
    report_for = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    # Who wrote it, for mail sent through Tradeport (DAILY-04 lists it under their Sent).
    sent_by = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_index=False)  # led by index mail_sent_by

    objects = MailQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail")
        verbose_name_plural = _("mail")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "message_id", "content_hash"], condition=~Q(message_id=""),
                                    name="mail_message_id_content_per_mailbox"),
        ]
        indexes = [
            models.Index(fields=["customer", "-date"], name="mail_customer_date"),
            # The undistributed queue. Not a partial index: SQLite cannot match one against a
            # query whose values are bound parameters, and fell back to scanning every mail.
            models.Index(fields=["route", "triaged_at", "deleted_at"], name="mail_triage_queue"),
            models.Index(fields=["sent_by", "-id"], name="mail_sent_by"),
            # The reports on one sent mail, newest first (reading pane). Partial: almost every mail has
            # no report_for, and SQLite's statistics of the full column made it walk received_at instead.
            models.Index(fields=["report_for", "-received_at", "-id"], condition=Q(report_for__isnull=False),
                         name="mail_reports"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def reason(self) -> str:
        """Why the mail went where it went, in the active language."""
        from tradeport.mail.routing import describe

        return describe(self.route_facts) if self.route_facts else self.route_reason


class MailAttachment(models.Model):
    mail = models.ForeignKey(Mail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=200)
    content_id = models.CharField(max_length=300, blank=True)
    inline = models.BooleanField(default=False)
    oversized = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.filename


class Delivery(models.Model):
    """Who should see a mail, and their own state of it (ARCHITECTURE: queues are queries over these)."""

    class Reason(models.TextChoices):
        OWNER = "owner", _("Owner of the customer")
        RULE = "rule", _("Address rule")
        PERSONAL = "personal", _("Personal mailbox")
        DISTRIBUTED = "distributed", _("Distributed")
        TRANSFERRED = "transferred", _("Transferred by a colleague")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery state", "Pending")
        HANDLED = "handled", pgettext_lazy("delivery state", "Handled")
        TRASH = "trash", pgettext_lazy("delivery state", "Trash")

    mail = models.ForeignKey(Mail, on_delete=models.CASCADE, related_name="deliveries")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="deliveries")
    reason = models.CharField(max_length=12, choices=Reason)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # Where a trashed mail goes back to (MAIL-12: restored to the queue it came from).
    state_before_trash = models.CharField(max_length=10, choices=State, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mail", "employee"], name="one_delivery_per_person")]
        indexes = [models.Index(fields=["employee", "state", "-mail"], name="delivery_queue")]

    def __str__(self) -> str:
        return f"{self.mail_id} → {self.employee_id}"


class Quarantine(models.Model):
    """A message that could not be taken in, kept raw with the reason; never stops the batch."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="quarantined")
    raw = models.ForeignKey(RawMessage, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.mailbox}: {self.reason[:60]}"


class BlockedAddress(models.Model):
    """MAIL-13: mail from these addresses is not taken in (MBOX-09)."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    blocked_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.address


class AddressRule(models.Model):
    """MAIL-04, MAIL-14: future mail from this address goes to this salesperson."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="address_rules",
                                 verbose_name=_("salesperson"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.address} → {self.employee}"



class ImportJob(models.Model):
    """An uploaded import (ADM-11), run in the background with its progress and summary."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imports", verbose_name=_("mailbox"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    folder = models.CharField(max_length=200)  # under the data dir; removed when the job ends
    filenames = models.JSONField(default=list)
    sent = models.BooleanField(_("sent mail"), default=False)
    followed_up = models.BooleanField(_("already followed up"), default=False)
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    STALL = timezone.timedelta(minutes=10)

    def __str__(self) -> str:
        return f"{self.mailbox} {', '.join(self.filenames)[:80]}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING) and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """A worker that died mid-import leaves the job without progress; it can be run again."""
        return self.state == self.State.RUNNING and self.updated_at < timezone.now() - self.STALL


class MailEvent(models.Model):
    """What people did with a mail after intake: shown under the route reason ("why is this mail here")."""

    class Action(models.TextChoices):
        DISTRIBUTED = "distributed", _("distributed")
        MERGED = "merged", _("merged into a customer")
        CREATED = "created", _("record created")
        TRANSFERRED = "transferred", _("transferred")
        FOLLOWED_UP = "followed_up", _("marked followed up")
        TRASHED = "trashed", _("moved to the trash")
        RESTORED = "restored", _("restored")
        DELETED = "deleted", _("deleted permanently")
        SPAM = "spam", _("marked as spam")
        BLOCKED = "blocked", _("sender blocked")
        COPIED = "copied", _("internal copy")
        REPLIED = "replied", _("replied")
        FORWARDED = "forwarded", _("forwarded")

    mail = models.ForeignKey(Mail, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.mail_id} {self.action}"


class InternalCopy(models.Model):
    """READ-19: a mail copied to a colleague; changes no ownership and no queue."""

    mail = models.ForeignKey(Mail, on_delete=models.CASCADE, related_name="copies")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="mail_copies")
    copied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mail", "employee"], name="one_copy_per_person")]

    def __str__(self) -> str:
        return f"{self.mail_id} → {self.employee_id}"


class RemoteContentAllowance(models.Model):
    """A user's choice to load remote images for every mail from one sender (READ-01)."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "sender"], name="one_allowance_per_sender")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.sender}"


class OutgoingMail(models.Model):
    """The durable outbox (SEND-01..17): a draft, or a mail waiting, being sent, sent or failed.

    The bytes are built once when the mail is submitted and sent as stored, so a retry sends
    exactly the same message, with the same Message-ID.
    """

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("outgoing mail", "Draft")
        AWAITING = "awaiting", pgettext_lazy("outgoing mail", "Awaiting approval")
        QUEUED = "queued", pgettext_lazy("outgoing mail", "Waiting to send")
        SENDING = "sending", pgettext_lazy("outgoing mail", "Sending")
        SENT = "sent", pgettext_lazy("outgoing mail", "Sent")
        FAILED = "failed", pgettext_lazy("outgoing mail", "Failed")

    class Kind(models.TextChoices):
        NEW = "new", _("New mail")
        REPLY = "reply", _("Reply")
        REPLY_ALL = "reply_all", _("Reply all")
        FORWARD = "forward", _("Forward")
        FORWARD_ATTACHED = "forward_eml", _("Forward as attachment")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outgoing_mails")
    employee = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outgoing_mails",
                                verbose_name=_("sender mailbox"))
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.NEW)
    source = models.ForeignKey(Mail, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers")
    # One per compose form opened: autosave, [Save draft] and [Send] find the same row, and a
    # double-clicked [Send] sends once.
    compose_key = models.CharField(max_length=36, blank=True)
    state = models.CharField(max_length=8, choices=State, default=State.DRAFT)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    read_receipt = models.BooleanField(_("request a read receipt"), default=False)
    # Marks the mail answered as followed up once this one has left (QUE-03).
    follow_up_source = models.BooleanField(default=False)
    follow_up_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # SEND-09: reply extras, copied onto the sent mail.
    purpose = models.ForeignKey("codes.CodeItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    next_contact = models.DateField(null=True, blank=True)
    remarks = models.TextField(blank=True)
    # SEND-08: not before this moment; empty: at once.
    send_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    send_at_zone = models.CharField(max_length=64, blank=True)  # the customer's zone it was chosen in
    # SEND-10..12: who must approve it, and what they said.
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="mails_to_review")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    raw_path = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    refused = models.JSONField(default=dict, blank=True)  # recipients the server refused while taking the rest
    # A worker died mid-send: before sending again, the Sent folder is searched for the Message-ID.
    interrupted = models.BooleanField(default=False)
    copy_note = models.CharField(max_length=300, blank=True)  # where the copy of the sent mail went, or why not
    read_at = models.DateTimeField(null=True, blank=True)  # SEND-07: a read receipt came back
    bounces = models.JSONField(default=dict, blank=True)  # address → status and the server's words, from DSNs
    sent_at = models.DateTimeField(null=True, blank=True)
    mail = models.OneToOneField(Mail, on_delete=models.SET_NULL, null=True, blank=True, related_name="outgoing")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        indexes = [
            models.Index(fields=["author", "state", "-id"], name="outbox_by_author"),
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["reviewer", "state"], name="outbox_review_queue"),
        ]
        constraints = [models.UniqueConstraint(fields=["author", "compose_key"], condition=~Q(compose_key=""),
                                               name="one_outgoing_per_compose_form")]

    def __str__(self) -> str:
        return self.subject or self.message_id or str(self.pk)

    @property
    def recipients(self) -> list[str]:
        """The envelope: BCC is here and never in the headers."""
        return list(dict.fromkeys([*self.to, *self.cc, *self.bcc]))


class UploadedFile(models.Model):
    """A file a user attached (to a mail, a mailing or a contact record), stored by content."""

    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename

    @classmethod
    def stored(cls, upload, **owner):
        """Store an uploaded file's bytes once (by SHA-256) and make the row that points at them."""
        import mimetypes

        from tradeport.mail.services import _store_file

        data = upload.read()
        _digest, path = _store_file("attachments", data)
        content_type = upload.content_type or mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
        return cls.objects.create(filename=upload.name[:255], content_type=content_type, size=len(data), path=path,
                                  **owner)


class OutgoingAttachment(UploadedFile):
    outgoing = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="attachments")


class MailTemplateQuerySet(models.QuerySet):
    def usable_by(self, user):
        """SEND-05: the user's own templates and the shared ones."""
        return self.filter(Q(owner=user) | Q(owner__isnull=True))


class MailTemplate(models.Model):
    """SHORT-03, PERS-08: a reusable mail; without an owner it is shared with everyone."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="mail_templates")
    name = models.CharField(_("template name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("content"))
    updated_at = models.DateTimeField(default=timezone.now)

    objects = MailTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CommonPhrase(models.Model):
    """PERS-07: a snippet inserted at the cursor while writing (SEND-06)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="common_phrases")
    title = models.CharField(_("title"), max_length=100)
    content = models.TextField(_("content"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("common phrase")
        verbose_name_plural = _("common phrases")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["owner", "position"], name="phrase_order")]

    def __str__(self) -> str:
        return self.title


class SenderSettings(models.Model):
    """PERS-05's mail part: the signature appended when composing and the default sender mailbox."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_settings")
    signature = models.TextField(_("signature"), blank=True)
    default_mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("default sender mailbox"))

    def __str__(self) -> str:
        return str(self.account)


class ReviewerAssignment(models.Model):
    """SEND-12: this account's mail waits for the reviewer's approval before it leaves."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_reviewer")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewed_accounts",
                                 verbose_name=_("current reviewer"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(account=models.F("reviewer")), name="reviewer_not_self")]

    def __str__(self) -> str:
        return f"{self.account} → {self.reviewer}"


class BouncedAddress(models.Model):
    """An address whose mail came back undeliverable (SEND-17): flagged wherever it is shown."""

    address = models.CharField(max_length=254, unique=True)
    status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    report = models.ForeignKey(Mail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    bounced_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.address


class MassMailing(models.Model):
    """MASS-01..07: one message, sent to each recipient on its own, at a throttled rate."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("mass mailing", "Draft")
        AWAITING = "awaiting", pgettext_lazy("mass mailing", "Awaiting approval")
        SENDING = "sending", pgettext_lazy("mass mailing", "Sending")
        PAUSED = "paused", pgettext_lazy("mass mailing", "Paused")
        DONE = "done", pgettext_lazy("mass mailing", "Finished")
        CANCELLED = "cancelled", pgettext_lazy("mass mailing", "Cancelled")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mass_mailings")
    employee = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="+", verbose_name=_("sender mailbox"))
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("message"))
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="mass_mailings_to_review")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    # Counters kept by the sender, so the progress page reads one row.
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Changed by every edit of the message or the recipients: an approval names the version it saw.
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mass mailing")
        verbose_name_plural = _("mass mailings")
        indexes = [models.Index(fields=["author", "-id"], name="mass_by_author")]

    def __str__(self) -> str:
        return self.subject

    @property
    def done_count(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0


class MassRecipient(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("mass recipient", "Waiting")
        SENDING = "sending", pgettext_lazy("mass recipient", "Sending")
        SENT = "sent", pgettext_lazy("mass recipient", "Sent")
        FAILED = "failed", pgettext_lazy("mass recipient", "Failed")
        SKIPPED = "skipped", pgettext_lazy("mass recipient", "Skipped")

    mailing = models.ForeignKey(MassMailing, on_delete=models.CASCADE, related_name="recipients")
    address = models.CharField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.CharField(max_length=8, choices=State, default=State.PENDING)
    claimed_by = models.CharField(max_length=40, blank=True)  # the worker's claim that took it into a batch
    error = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailing", "address"], name="one_recipient_per_address")]
        indexes = [models.Index(fields=["mailing", "state", "id"], name="mass_recipient_queue")]

    def __str__(self) -> str:
        return self.address


class MassAttachment(UploadedFile):
    mailing = models.ForeignKey(MassMailing, on_delete=models.CASCADE, related_name="attachments")


class OptOut(models.Model):
    """MASS: addresses that asked to receive no mass mail; every mailing skips them."""

    address = models.CharField(_("email address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("opt-out address")
        verbose_name_plural = _("opt-out list")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class AddressBookEntry(models.Model):
    """PERS-06: the user's private address book, a source of recipients when writing (SEND-02)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="address_book")
    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=50, blank=True)
    fax = models.CharField(_("fax"), max_length=50, blank=True)
    group = models.CharField(_("group"), max_length=50, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("address book entry")
        verbose_name_plural = _("address book")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="address_book_by_owner")]

    def __str__(self) -> str:
        return self.name
