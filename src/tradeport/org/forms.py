import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from tradeport.org.models import Department, Employee, Region
from tradeport.org.widgets import RegionPickerWidget


class _TreeOrderIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in Department.in_tree_order(list(self.queryset)):
            yield self.choice(obj)


class DepartmentChoiceField(forms.ModelChoiceField):
    """Departments indented by depth, in tree order."""

    iterator = _TreeOrderIterator

    def label_from_instance(self, obj):
        return f"{'　' * obj.depth}{obj.name}"


class DepartmentForm(forms.ModelForm):
    parent = DepartmentChoiceField(queryset=Department.objects.all(), required=False,
                                   label=_("Parent department"), empty_label=_("(top level)"))

    class Meta:
        model = Department
        fields = ["code", "name", "parent", "sort_order", "remarks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["parent"].queryset = Department.objects.exclude(path__startswith=self.instance.path)
            # The preset remark is offered in the reader's language, as the list shows it.
            self.initial["remarks"] = self.instance.remarks_text


class EmployeeForm(forms.ModelForm):
    department = DepartmentChoiceField(queryset=Department.objects.all(), label=_("Department"))

    class Meta:
        model = Employee
        fields = ["code", "name", "name_en", "department", "is_salesperson", "is_doc_clerk",
                  "is_merchandiser", "status", "gender", "position", "phone", "mobile", "email",
                  "date_joined", "date_left", "remarks"]
        widgets = {
            "date_joined": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_left": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "remarks": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"code": {"unique": _("Another employee already has this code.")}}

    def clean(self):
        cleaned = super().clean()
        joined, left = cleaned.get("date_joined"), cleaned.get("date_left")
        if joined and left and left < joined:
            self.add_error("date_left", _("The date left cannot be before the date joined."))
        return cleaned


class RegionForm(forms.ModelForm):
    parent = forms.ModelChoiceField(queryset=Region.objects.all(), required=False, label=_("Parent region"),
                                    widget=RegionPickerWidget())
    time_zones_text = forms.CharField(label=_("Time zones"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("IANA names, one per line, e.g. Europe/Berlin. Empty: the parent's."))

    class Meta:
        model = Region
        fields = ["code", "name_zh", "name_en", "level", "parent", "sort_order"]
        error_messages = {"code": {"unique": _("Another region already has this code.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zones_text"].initial = "\n".join(self.instance.time_zones or [])

    def clean_time_zones_text(self):
        names = [n.strip() for n in self.cleaned_data["time_zones_text"].splitlines() if n.strip()]
        known = zoneinfo.available_timezones()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise forms.ValidationError(_("Unknown time zone: %(names)s") % {"names": ", ".join(unknown)})
        return names

    def save(self, commit=True):
        self.instance.time_zones = self.cleaned_data["time_zones_text"]
        return super().save(commit=commit)
