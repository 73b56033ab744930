import hashlib
import ipaddress

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradeport.accounts.functions import permission_meta


class AccountQuerySet(models.QuerySet):
    def company(self):
        """Every account except the built-in administrator."""
        return self.filter(is_superuser=False)


class AccountManager(UserManager.from_queryset(AccountQuerySet)):
    pass


class Account(AbstractUser):
    """A login. Linked one-to-one to an employee by employee code (ACC-12)."""

    employee_name = models.CharField(_("employee name"), max_length=100, blank=True)
    employee_code = models.CharField(
        _("employee number"), max_length=20, blank=True,
        help_text=_("Must match the employee code on the employee record."),
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
        return f"{self.username} ({self.employee_name})" if self.employee_name else self.username

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
        from tradeport.org.models import Employee

        return Employee.objects.filter(code=self.employee_code).first()

    @property
    def display_name(self) -> str:
        return self.employee_name or self.username


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
