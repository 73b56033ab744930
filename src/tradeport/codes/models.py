from django.db import models
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _


def localised(zh: str, en: str) -> str:
    """The Chinese or English name, by the active language, falling back to the other."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("zh"):
        return zh or en
    return en or zh


class CodeGroup(models.Model):
    """A lookup list used by drop-downs (CODE-01, CODE-02)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    description = models.CharField(_("used by"), max_length=200, blank=True)
    has_reminder_days = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("code group")
        verbose_name_plural = _("code groups")
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localised(self.name_zh, self.name_en)

    @property
    def used_by(self) -> str:
        """The description in the reader's language: presets store it in English (codes.presets)."""
        return gettext(self.description) if self.description else ""


class CodeItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of(self, group_key: str):
        return self.filter(group__key=group_key)

    def choices_for(self, group_key: str, *, keep=None):
        """Active items of a group, plus `keep` (the value an old record still shows, CODE-04)."""
        condition = models.Q(is_active=True)
        if keep is not None:
            condition |= models.Q(pk=getattr(keep, "pk", keep))
        return self.of(group_key).filter(condition)


class CodeItem(models.Model):
    """One value of a code group (CODE-03)."""

    group = models.ForeignKey(CodeGroup, on_delete=models.PROTECT, related_name="items",
                              verbose_name=_("code group"))
    code = models.CharField(_("code"), max_length=20)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("default reminder days"), null=True, blank=True,
        help_text=_("Customer levels only: days without contact before a follow-up reminder."),
    )

    objects = CodeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("code item")
        verbose_name_plural = _("code items")
        ordering = ["group", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["group", "code"], name="code_item_unique_per_group")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localised(self.name_zh, self.name_en)
