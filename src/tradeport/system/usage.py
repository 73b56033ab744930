"""What still refers to a row, so a delete can be refused with the reason."""

from django.db import models


def references(instance: models.Model, *, ignore: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """(verbose plural name, count) of every relation that still points at `instance`.

    Walks the model's reverse relations, so models added by later features
    (customers in a region, mail in a category) are counted without changes here.
    """
    found = []
    for relation in instance._meta.related_objects:
        if relation.get_accessor_name() in ignore or relation.related_model._meta.auto_created:
            continue
        manager = relation.related_model._base_manager
        count = manager.filter(**{relation.field.name: instance}).count()
        if count:
            found.append((str(relation.related_model._meta.verbose_name_plural), count))
    return found


def describe(found: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in found)
