"""The data-scope rule (PERM-13), as a QuerySet base that owned models reuse.

A model's QuerySet subclasses ScopedQuerySet and names, in `owner_lookups`,
the lookups that lead from a row to the accounts that own it. Users holding
`scope_permission` see every row; everyone else sees the rows they own.
Views read through `Model.objects.visible_to(request.user)`, so a row that is
not visible answers 404 exactly like one that does not exist.
"""

from django.db import models
from django.db.models import Q


class ScopedQuerySet(models.QuerySet):
    owner_lookups: tuple[str, ...] = ()
    scope_permission = "accounts.all_customers_inspection"

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_administrator or user.has_perm(self.scope_permission):
            return self
        if not self.owner_lookups:
            raise TypeError(f"{type(self).__name__} must set owner_lookups")
        condition = Q()
        for lookup in self.owner_lookups:
            condition |= Q(**{lookup: user})
        return self.filter(condition).distinct() if self._needs_distinct() else self.filter(condition)

    def _needs_distinct(self) -> bool:
        # Lookups through a many-valued relation can repeat a row.
        return any("__" in lookup for lookup in self.owner_lookups)
