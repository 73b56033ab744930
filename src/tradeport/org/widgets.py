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


class EmployeePickerWidget(forms.Widget):
    """Department tree, then employees; `multiple` for several, `salespeople` for the salesperson flag only."""

    template_name = "org/widgets/employee_picker.html"

    def __init__(self, *, multiple=False, salespeople=False, to_field="pk", attrs=None):
        super().__init__(attrs)
        self.multiple = multiple
        self.salespeople = salespeople
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

    def get_context(self, name, value, attrs):
        from tradeport.org.models import Employee

        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"]
        keys = values if self.multiple else ([values] if values else [])
        lookup_keys = [k for k in keys if k.isdigit()] if self.to_field == "pk" else keys
        chosen = Employee.objects.filter(**{f"{self.to_field}__in": lookup_keys}) if lookup_keys else []
        params = f"?to={self.to_field}" + ("&multiple=1" if self.multiple else "") + (
            "&salespeople=1" if self.salespeople else "")
        context["widget"].update({
            "multiple": self.multiple,
            "chosen": [{"value": str(getattr(e, self.to_field)), "label": f"{e.name} ({e.code})"} for e in chosen],
            "unknown": [k for k in keys if k not in {str(getattr(e, self.to_field)) for e in chosen}],
            "picker_url": reverse("org:employee_picker") + params,
        })
        return context
