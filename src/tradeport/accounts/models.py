import hashlib
import ipaddress

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.db.models.query_utils import DeferredAttribute
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradeport.accounts.functions import permission_meta


class _EmployeeCodeAttribute(DeferredAttribute):
    """A new employee number forgets the employee read for the old one, as a foreign key does."""

    def __set__(self, instance, value):
        if instance.__dict__.get(self.field.attname) != value:
            instance._state.fields_cache.pop("employee_record", None)
        instance.__dict__[self.field.attname] = value


class EmployeeCodeField(models.CharField):
    descriptor_class = _EmployeeCodeAttribute

    def deconstruct(self):
        # A plain CharField to the database and to migrations.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class AccountQuerySet(models.QuerySet):
    def company(self):
        """Every account except the built-in administrator."""
        return self.filter(is_superuser=False)

    def with_names(self):
        """Join the linked employee, so `display_name` costs no query per row (lists, pickers)."""
        return self.select_related("employee_record").annotate(
            sort_name=Coalesce("employee_record__name", NullIf("employee_name", Value("")), "username"),
        )


class AccountManager(UserManager.from_queryset(AccountQuerySet)):
    def get_queryset(self):
        """Accounts come with their employee: every page shows the signed-in account's name, and
        request.user is read through this manager. (So no select_for_update() on accounts without
        `of=("self",)`: PostgreSQL refuses to lock the outer-joined side.)"""
        queryset = super().get_queryset()
        try:
            self.model._meta.get_field("employee_record")
        except FieldDoesNotExist:  # a historical model, in a migration before the relation existed
            return queryset
        return queryset.select_related("employee_record")


class Account(AbstractUser):
    """A login. Linked one-to-one to an employee by employee code (ACC-12).

    The person's name lives in one place: on the employee record once the account is
    linked to one, in `employee_name` only while it is not (ACC-12 allows the account
    first). Read it through `display_name`.
    """

    employee_name = models.CharField(_("employee name"), max_length=100, blank=True)
    employee_code = EmployeeCodeField(
        _("employee number"), max_length=20, blank=True,
        help_text=_("Must match the employee code on the employee record."),
    )
    # The link by code as a relation without a column, so lists can select_related it.
    employee_record = models.ForeignObject(
        "org.Employee", on_delete=models.DO_NOTHING, from_fields=["employee_code"], to_fields=["code"],
        null=True, blank=True, editable=False, related_name="+",
    )
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    notify_email = models.EmailField(_("notification email"), blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    language = models.CharField(
        _("interface language"), max_length=10, blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser."),
    )
    page_size = models.PositiveSmallIntegerField(_("list page size"), default=25)
    menu_collapsed = models.BooleanField(_("left menu collapsed"), default=False)
    # Django's own labels ("superuser status", "date joined") mean nothing to a Tradeport
    # administrator, and the operation log shows these labels.
    is_superuser = models.BooleanField(
        _("system administrator"), default=False,
        help_text=_("The built-in administrator: the admin console and every permission."),
    )
    date_joined = models.DateTimeField(_("account created"), default=timezone.now)

    objects = AccountManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee_code"], condition=~Q(employee_code=""),
                name="account_employee_code_unique",
            ),
        ]

    def __str__(self) -> str:
        name = self.person_name
        return f"{self.username} ({name})" if name else self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_update", args=[self.pk])

    @property
    def is_administrator(self) -> bool:
        """The built-in `admin` account: admin console, never takes a seat (PERM-14)."""
        return self.is_superuser

    @property
    def employee(self):
        """The employee whose code matches this account's employee number, if any."""
        if not self.employee_code:
            return None
        field = Account.employee_record.field
        if not field.is_cached(self):
            from tradeport.org.models import Employee

            field.set_cached_value(self, Employee.objects.filter(code=self.employee_code).first())
        return field.get_cached_value(self)

    @property
    def person_name(self) -> str:
        """The linked employee's name, else the account's own; empty when neither is known."""
        employee = self.employee
        return employee.name if employee is not None else self.employee_name

    @property
    def display_name(self) -> str:
        """Who the account is, for every page: the person's name, else the login name."""
        return self.person_name or self.username


class FunctionAccess(models.Model):
    """Holds the function and management permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = permission_meta()

    def __str__(self) -> str:
        return "function access"


class SeatGuard(models.Model):
    """One row, locked while a login decides whether a seat is free."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)

    def __str__(self) -> str:
        return "seat guard"


class OnlineSessionQuerySet(models.QuerySet):
    def active(self, *, idle_minutes: int):
        cutoff = timezone.now() - timezone.timedelta(minutes=idle_minutes)
        return self.filter(last_seen_at__gte=cutoff)

    def seated(self, *, idle_minutes: int):
        return self.active(idle_minutes=idle_minutes).filter(takes_seat=True)


class OnlineSession(models.Model):
    """The one current login of an account (ACC-04: a new login replaces it)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="online_session")
    session_key = models.CharField(max_length=64)
    takes_seat = models.BooleanField(default=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    logged_in_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = OnlineSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("online session")
        ordering = ["-logged_in_at"]

    def __str__(self) -> str:
        return f"{self.account} @ {self.ip_address}"


class IpBinding(models.Model):
    """An address range an account may log in from (SYS-07, IP binding)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ip_bindings")
    network = models.CharField(_("IP address or range"), max_length=64)
    note = models.CharField(_("note"), max_length=200, blank=True)
    approved_by = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("IP binding")
        ordering = ["account__username", "network"]

    def __str__(self) -> str:
        return f"{self.account.username}: {self.network}"

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(self.network, strict=False)
        except ValueError:
            return False


class DeviceBinding(models.Model):
    """A browser an account registered and an administrator approved (SYS-07)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("device"), max_length=200)
    token_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device binding")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "token_hash"], name="device_per_account_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account.username}: {self.name}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
