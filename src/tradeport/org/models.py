from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from tradeport.codes.models import localised


class TreeQuerySet(models.QuerySet):
    def subtree(self, node):
        """`node` and everything below it, by the materialised path."""
        return self.filter(path__startswith=node.path)

    def roots(self):
        return self.filter(parent__isnull=True)


class TreeNode(models.Model):
    """A node in a tree with a materialised path ("00000001/00000007/") for subtree queries."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        abstract = True

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1 if self.path else 0

    @staticmethod
    def in_tree_order(nodes) -> list:
        """Nodes depth-first, siblings by (sort_order, code or name): how a tree is read."""
        children: dict = {}
        for node in nodes:
            children.setdefault(node.parent_id, []).append(node)
        for siblings in children.values():
            siblings.sort(key=lambda n: (n.sort_order, getattr(n, "code", ""), str(n)))
        ordered: list = []
        known = {n.pk for n in nodes}

        def walk(parent_id):
            for node in children.get(parent_id, []):
                ordered.append(node)
                walk(node.pk)

        for root_parent in [None, *(p for p in children if p is not None and p not in known)]:
            walk(root_parent)
        return ordered

    def ancestors(self):
        """Ancestors from the root down, excluding self."""
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        found = {node.pk: node for node in type(self)._base_manager.filter(pk__in=ids)}
        return [found[i] for i in ids if i in found]


# The preset department's remark, stored in English and shown in the reader's language.
PRESET_DEPARTMENT_REMARKS = gettext_noop("Foreign Trade Department")


class Department(TreeNode):
    """ORG-01..05: the department tree."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("department name"), max_length=100)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)

    objects = TreeQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:department_list") + f"?selected={self.pk}"

    @property
    def remarks_text(self) -> str:
        """The remarks, the preset one in the reader's language."""
        return gettext(self.remarks) if self.remarks == PRESET_DEPARTMENT_REMARKS else self.remarks


class EmployeeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Employee.Status.ACTIVE)

    def salespeople(self):
        """Who salesperson pickers offer (GEN-06, ORG-09, ORG-14)."""
        return self.active().filter(is_salesperson=True)


class Employee(models.Model):
    """A member of staff. Its code links it to an account's employee number (ACC-12)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")

    class Gender(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")

    code = models.CharField(_("employee code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="employees",
                                   verbose_name=_("department"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    is_salesperson = models.BooleanField(_("salesperson"), default=False)
    is_doc_clerk = models.BooleanField(_("documentation clerk"), default=False)
    is_merchandiser = models.BooleanField(_("merchandiser"), default=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender, blank=True)
    position = models.CharField(_("position"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    date_joined = models.DateField(_("date joined"), null=True, blank=True)
    date_left = models.DateField(_("date left"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["code"]
        indexes = [models.Index(fields=["department", "status"], name="employee_dept_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("org:employee_update", args=[self.pk])

    @property
    def has_left(self) -> bool:
        return self.status == self.Status.LEFT

    @property
    def account(self):
        """The account whose employee number matches this employee's code, if any."""
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(employee_code=self.code).first()

    @property
    def roles(self) -> list[str]:
        flags = ((self.is_salesperson, _("salesperson")), (self.is_doc_clerk, _("documentation clerk")),
                 (self.is_merchandiser, _("merchandiser")))
        return [str(label) for on, label in flags if on]


class Region(TreeNode):
    """ORG-15..18: continent → country → province/state → city → district."""

    class Level(models.IntegerChoices):
        CONTINENT = 1, _("Continent")
        COUNTRY = 2, _("Country")
        PROVINCE = 3, _("Province/state")
        CITY = 4, _("City")
        DISTRICT = 5, _("District")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level)
    time_zones = models.JSONField(_("time zones"), default=list, blank=True,
                                  help_text=_("IANA time zone names, e.g. Europe/Berlin."))
    is_preset = models.BooleanField(default=False, editable=False)

    objects = TreeQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "sort_order"], name="region_children")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localised(self.name_zh, self.name_en)

    def effective_time_zones(self) -> list[str]:
        """This node's zones, else the nearest ancestor's (a city inherits its country's)."""
        if self.time_zones:
            return self.time_zones
        for ancestor in reversed(self.ancestors()):
            if ancestor.time_zones:
                return ancestor.time_zones
        return []
