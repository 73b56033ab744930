from django import forms, template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, listing, key, label):
    """A column header that sorts by `key`, toggling the direction on a second click."""
    request = context["request"]
    params = request.GET.copy()
    current = listing.sort
    descending = current == key
    params["sort"] = f"-{key}" if descending else key
    params.pop("page", None)
    arrow = ""
    if current.removeprefix("-") == key:
        arrow = " ▲" if not current.startswith("-") else " ▼"
    return format_html('<a class="link-dark text-decoration-none" href="?{}">{}{}</a>',
                       params.urlencode(), label, arrow)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def control(field):
    """Render a form field's widget with Bootstrap's class and its invalid state."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return _choices(field)
    if getattr(widget, "input_type", "") in ("radio", "checkbox"):
        return field.as_widget(attrs={"class": "form-check-input me-1"})
    css = "form-select" if getattr(widget, "input_type", "") == "select" or widget.__class__.__name__.endswith("Select") else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


def _choices(field):
    """Radios and checkbox lists as Bootstrap form-checks, one per choice, side by side. Given the
    class as a whole, Django would put it on the wrapper too and squeeze every label to one character."""
    def option(choice):
        choice.data["attrs"] = {**choice.data["attrs"], "class": "form-check-input"}
        return (choice.tag(wrap_label=False), choice.id_for_label, choice.choice_label)

    items = format_html_join("", '<div class="form-check form-check-inline">{}<label class="form-check-label" '
                             'for="{}">{}</label></div>', (option(choice) for choice in field))
    invalid = " is-invalid" if field.errors else ""
    return format_html('<div id="{}" class="d-flex flex-wrap{}">{}</div>', field.auto_id, invalid, items)
