"""The shared pickers (GEN-06) as form widgets: a [Select] button that opens a searchable htmx list."""

from django import forms
from django.urls import reverse


class RegionPickerWidget(forms.Widget):
    template_name = "org/widgets/region_picker.html"

    def get_context(self, name, value, attrs):
        from tradeport.org.models import Region

        context = super().get_context(name, value, attrs)
        region = Region.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        context["widget"].update({
            "label": " / ".join([a.name for a in region.ancestors()] + [region.name]) if region else "",
            "picker_url": reverse("org:region_picker"),
        })
        return context


class ChoicePickerWidget(forms.Widget):
    """A [Select] button whose chosen values show as badges; the picker view fills the shared modal."""

    template_name = "org/widgets/choice_picker.html"
    picker_url_name = ""
    model = None

    def __init__(self, *, multiple=False, to_field="pk", attrs=None):
        super().__init__(attrs)
        self.multiple = multiple
        self.to_field = to_field

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            return [v for v in data.getlist(name) if v]
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not self.multiple

    def format_value(self, value):
        if self.multiple:
            if value in (None, ""):
                return []
            return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        return "" if value is None else str(value)

    def queryset(self):
        """What may be shown as chosen; a subclass narrows it (e.g. to what the user may see)."""
        return self.model._default_manager.all()

    def objects(self, keys: list[str]):
        return self.queryset().filter(**{f"{self.to_field}__in": keys})

    def label(self, obj) -> str:
        return str(obj)

    def picker_params(self) -> dict:
        return {"to": self.to_field, "multiple": "1" if self.multiple else ""}

    def get_context(self, name, value, attrs):
        from urllib.parse import urlencode

        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"]
        keys = values if self.multiple else ([values] if values else [])
        lookup_keys = [k for k in keys if k.isdigit()] if self.to_field == "pk" else keys
        chosen = list(self.objects(lookup_keys)) if lookup_keys else []
        found = {str(getattr(o, self.to_field)) for o in chosen}
        params = {k: v for k, v in self.picker_params().items() if v}
        context["widget"].update({
            "multiple": self.multiple,
            "chosen": [{"value": str(getattr(o, self.to_field)), "label": self.label(o)} for o in chosen],
            "unknown": [k for k in keys if k not in found],
            "picker_url": f"{reverse(self.picker_url_name)}?{urlencode(params)}",
        })
        return context


class EmployeePickerWidget(ChoicePickerWidget):
    """Department tree, then employees; `multiple` for several, `salespeople` for the salesperson flag only."""

    picker_url_name = "org:employee_picker"

    def __init__(self, *, multiple=False, salespeople=False, to_field="pk", attrs=None):
        super().__init__(multiple=multiple, to_field=to_field, attrs=attrs)
        self.salespeople = salespeople

    def queryset(self):
        from tradeport.org.models import Employee

        return Employee.objects.all()

    def label(self, obj) -> str:
        return f"{obj.name} ({obj.code})"

    def picker_params(self) -> dict:
        return {**super().picker_params(), "salespeople": "1" if self.salespeople else ""}
