from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradeport.codes.models import CodeItem
from tradeport.customers import lookups  # noqa: F401  (registers __substring)
from tradeport.org.models import Employee, Region


class CustomerQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """PERM-13: owned customers, plus in strict mode those of regions the user is default owner of."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator or user.has_perm("accounts.all_customers_inspection"):
            return self
        employee_id = Employee.objects.filter(code=user.employee_code).values_list("pk", flat=True).first() \
            if user.employee_code else None
        if employee_id is None:
            return self.none()
        # An IN over the owner's rows (index ownership_by_employee) lets the database
        # walk the customer list in its own order and probe membership cheaply.
        owned = Q(pk__in=Ownership.objects.filter(employee_id=employee_id, is_latest=True).values("customer_id"))
        from tradeport.customers.ownership import default_owner_region_filter

        by_region = default_owner_region_filter(user.employee_code)
        return self.filter(owned | by_region if by_region is not None else owned)

    def search(self, text: str):
        """CUST-18: 'contains', ignoring case, over the ten fields (kept in search_text)."""
        text = " ".join(text.split()).lower()
        if not text:
            return self
        if connection.vendor == "sqlite" and len(text) >= 3 and not set(text) & set("%_\\"):
            # The FTS5 trigram index of migration 0004 answers substring matches of 3+ characters.
            return self.filter(pk__in=RawSQL("SELECT rowid FROM customers_search WHERE search_text LIKE %s",
                                             (f"%{text}%",)))
        return self.filter(search_text__substring=text)


class Customer(models.Model):
    """A customer or supplier record (CUST-01..16)."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        SUPPLIER = "supplier", _("Supplier")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.CUSTOMER)
    code = models.CharField(_("customer code"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("customer name"), max_length=200)
    mnemonic = models.CharField(_("mnemonic code"), max_length=40, blank=True,
                                help_text=_("Short search key; filled with the pinyin initials of the name when left empty."))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="customers", verbose_name=_("region"))
    main_email = models.CharField(_("main email"), max_length=254, blank=True)
    backup_emails = models.JSONField(_("backup emails"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    fax = models.CharField(_("fax"), max_length=60, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    customer_type = models.ForeignKey(CodeItem, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="customers_of_type", verbose_name=_("customer type"))
    level = models.ForeignKey(CodeItem, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="customers_of_level", verbose_name=_("customer level"))
    source = models.ForeignKey(CodeItem, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="customers_of_source", verbose_name=_("customer source"))
    industry = models.ForeignKey(CodeItem, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="customers_of_industry", verbose_name=_("industry"))
    products = models.ManyToManyField(CodeItem, blank=True, related_name="customers_with_product", verbose_name=_("products"))
    hidden = models.BooleanField(_("hidden from maintenance and statistics"), default=False)
    remarks = models.TextField(_("remarks"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("deleted by"))
    # Lower-cased code, name, phone, fax, emails, mnemonic and contacts' names,
    # emails and faxes, joined: the fuzzy search reads this one column.
    search_text = models.TextField(default="", editable=False)
    phone_digits = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["deleted_at", "hidden", "region"], name="customer_maintenance"),
            # Counts and pages of the maintenance list read this narrow index, not the wide rows.
            models.Index(fields=["id"], condition=Q(deleted_at__isnull=True, hidden=False),
                         name="customer_listed"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.pk])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def all_emails(self) -> list[str]:
        return [e for e in [self.main_email, *self.backup_emails] if e]


class Contact(models.Model):
    """A person who corresponds for the customer (CUST-09)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("contact name"), max_length=100)
    title = models.CharField(_("title"), max_length=60, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=60, blank=True)
    fax = models.CharField(_("fax"), max_length=60, blank=True)
    im = models.CharField(_("instant messaging"), max_length=100, blank=True)
    is_main = models.BooleanField(_("main contact"), default=False)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_main", "name"]

    def __str__(self) -> str:
        return self.name


class EmailAddress(models.Model):
    """The address index: every address that routes mail to a record (CUST-07, MAIL-01)."""

    class Role(models.TextChoices):
        MAIN = "main", _("main email")
        BACKUP = "backup", _("backup email")
        CONTACT = "contact", _("contact email")

    address = models.CharField(max_length=254, unique=True)
    domain = models.CharField(max_length=253, db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    role = models.CharField(max_length=10, choices=Role)

    class Meta:
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")

    def __str__(self) -> str:
        return self.address


class OwnershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_latest=True)


class Ownership(models.Model):
    """OWN-13: one assignment of a customer to an employee; history is kept."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ownerships")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="ownerships",
                                 verbose_name=_("owner"))
    assigned_at = models.DateTimeField(_("assignment date"), default=timezone.now)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    is_latest = models.BooleanField(_("latest assignment"), default=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownership history")
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["employee", "is_latest"], name="ownership_by_employee"),
            models.Index(fields=["customer", "is_latest"], name="ownership_by_customer"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "employee"], condition=Q(is_latest=True),
                                    name="one_current_ownership_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.customer.code} → {self.employee.code}"


class RegionOwnership(models.Model):
    """OWN-07..11: who may create, and who owns by default, in a region (strict mode)."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="ownership_setting")
    inherit_from_parent = models.BooleanField(_("inherit from parent"), default=False)
    creators = models.ManyToManyField(Employee, blank=True, related_name="+", verbose_name=_("authorised creators"))
    default_owners = models.ManyToManyField(Employee, blank=True, related_name="+", verbose_name=_("default owners"))

    class Meta:
        verbose_name = _("region ownership setting")

    def __str__(self) -> str:
        return str(self.region)


class CodeSequence(models.Model):
    """The next number of an automatic code; locked while taken, never reused (CUST-03)."""

    name = models.CharField(max_length=30, primary_key=True)
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class SavedQuery(models.Model):
    """OWN-17..19: a named list of ownership query conditions, per account."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queries")
    name = models.CharField(_("name"), max_length=60)
    conditions = models.JSONField(default=list)
    is_default = models.BooleanField(_("default query"), default=False)

    class Meta:
        verbose_name = _("saved query")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="saved_query_name_per_account")]

    def __str__(self) -> str:
        return self.name
