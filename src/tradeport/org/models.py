from django.db import models
from django.utils.translation import gettext_lazy as _


class Employee(models.Model):
    """A member of staff. Its code links it to an account's employee number (ACC-12)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")

    code = models.CharField(_("employee code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    is_salesperson = models.BooleanField(_("salesperson"), default=False)
    is_doc_clerk = models.BooleanField(_("documentation clerk"), default=False)
    is_merchandiser = models.BooleanField(_("merchandiser"), default=False)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def has_left(self) -> bool:
        return self.status == self.Status.LEFT

    @property
    def account(self):
        """The account whose employee number matches this employee's code, if any."""
        return _account_model().objects.filter(employee_code=self.code).first()


def _account_model():
    from django.contrib.auth import get_user_model

    return get_user_model()
