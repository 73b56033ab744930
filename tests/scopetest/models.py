"""A minimal owned model, so the PERM-13 QuerySet base is tested before customers exist."""

from django.conf import settings
from django.db import models

from tradeport.accounts.scoping import ScopedQuerySet


class NoteQuerySet(ScopedQuerySet):
    owner_lookups = ("owner",)


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.CharField(max_length=100)

    objects = NoteQuerySet.as_manager()

    class Meta:
        app_label = "scopetest"

    def __str__(self) -> str:
        return self.text
