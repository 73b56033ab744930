from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tradeport.codes.models import CodeItem
from tradeport.customers.addresses import normalise, split_list
from tradeport.customers.models import Contact, Customer
from tradeport.org.models import Employee, Region
from tradeport.org.widgets import (
    ChoicePickerWidget,
    EmployeePickerWidget,
    RegionPickerWidget,
)


class CodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name if obj.is_active else f"{obj.name} ({_('deactivated')})"


class CodeMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ProductPickerWidget(ChoicePickerWidget):
    """READ-11, CUST-01: the products, ticked in the shared picker with search; no Ctrl-click list."""

    picker_url_name = "customers:product_picker"
    empty_text = _("No product chosen")

    def __init__(self, *, attrs=None):
        super().__init__(multiple=True, attrs=attrs)

    def queryset(self):
        return CodeItem.objects.of("product")  # a deactivated product a record still has shows too

    def label(self, obj) -> str:
        return obj.name if obj.is_active else f"{obj.name} ({_('deactivated')})"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["empty_text"] = self.empty_text
        return context


class CustomerForm(forms.ModelForm):
    """CUST-01: the customer (or supplier) form."""

    region = forms.ModelChoiceField(queryset=Region.objects.all(), label=_("Region"), widget=RegionPickerWidget())
    main_email = forms.CharField(label=_("Main email"), required=False, max_length=254)
    backup_emails_text = forms.CharField(label=_("Backup emails"), required=False,
                                         help_text=_("Several addresses separated by ';'."),
                                         widget=forms.TextInput())
    owners = forms.ModelMultipleChoiceField(
        queryset=Employee.objects.all(), label=_("Owners"), required=False,
        widget=EmployeePickerWidget(multiple=True, salespeople=True),
        help_text=_("Empty: you (and in strict mode the region's default owners)."),
    )

    class Meta:
        model = Customer
        fields = ["kind", "name", "mnemonic", "region", "main_email", "phone", "fax", "customer_type",
                  "level", "source", "industry", "products", "website", "address", "hidden", "remarks"]
        widgets = {"remarks": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        instance = self.instance
        for name, group in (("customer_type", "customer_type"), ("level", "customer_level"),
                            ("source", "customer_source"), ("industry", "industry")):
            self.fields[name] = CodeChoiceField(
                queryset=CodeItem.objects.choices_for(group, keep=getattr(instance, f"{name}_id", None)),
                required=False, label=self.fields[name].label)
        kept = list(instance.products.values_list("pk", flat=True)) if instance.pk else []
        self.fields["products"] = CodeMultipleChoiceField(
            queryset=CodeItem.objects.of("product").filter(is_active=True) | CodeItem.objects.filter(pk__in=kept),
            required=False, label=_("Products"), widget=ProductPickerWidget())
        self.fields["backup_emails_text"].initial = "; ".join(instance.backup_emails or [])
        if instance.pk:
            self.fields["owners"].initial = list(instance.ownerships.current().values_list("employee_id", flat=True))
        if not (user.is_administrator or user.has_perm("accounts.all_customers_inspection")):
            # CUST-08: hiding and un-hiding are for PERM-11 holders; others do not see the box.
            del self.fields["hidden"]
        current = list(instance.ownerships.current().values_list("employee_id", flat=True)) if instance.pk else []
        self.fields["owners"].queryset = (Employee.objects.salespeople() | Employee.objects.filter(pk__in=current)).distinct()
        self.order_fields(["kind", "name", "mnemonic", "region", "main_email", "backup_emails_text", "phone",
                           "fax", "owners"])

    def clean_main_email(self):
        raw = self.cleaned_data["main_email"].strip()
        return normalise(raw) if raw else ""

    def clean_backup_emails_text(self):
        try:
            return split_list(self.cleaned_data["backup_emails_text"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def save(self, commit=True):
        self.instance.backup_emails = self.cleaned_data.get("backup_emails_text", [])
        return super().save(commit=commit)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "mobile", "fax", "im", "is_main", "remarks"]

    def clean_email(self):
        raw = self.cleaned_data["email"].strip()
        return normalise(raw) if raw else ""


ContactFormSet = forms.inlineformset_factory(
    Customer, Contact, form=ContactForm, extra=1, can_delete=True,
)


class CategorySearchForm(forms.Form):
    """CUST-17, CUST-19: quick lookup and category search."""

    q = forms.CharField(label=_("Search"), required=False)
    owner = forms.ModelChoiceField(queryset=Employee.objects.salespeople(), required=False, label=_("Owner"))
    customer_type = CodeChoiceField(queryset=CodeItem.objects.of("customer_type"), required=False,
                                    label=_("Customer type"))
    level = CodeChoiceField(queryset=CodeItem.objects.of("customer_level"), required=False, label=_("Customer level"))
    source = CodeChoiceField(queryset=CodeItem.objects.of("customer_source"), required=False,
                             label=_("Customer source"))
    industry = CodeChoiceField(queryset=CodeItem.objects.of("industry"), required=False, label=_("Industry"))
    products = CodeMultipleChoiceField(queryset=CodeItem.objects.of("product"), required=False, label=_("Products"))
    kind = forms.ChoiceField(choices=[("", _("Customers and suppliers")), *Customer.Kind.choices], required=False,
                             label=_("Kind"))
    show_hidden = forms.BooleanField(required=False, label=_("Show hidden"))
    show_deleted = forms.BooleanField(required=False, label=_("Show deleted"))

    def apply(self, queryset):
        data = self.cleaned_data
        queryset = queryset.search(data.get("q") or "")
        if data.get("owner"):
            queryset = queryset.filter(ownerships__is_latest=True, ownerships__employee=data["owner"])
        for name in ("customer_type", "level", "source", "industry"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("products"):
            queryset = queryset.filter(products__in=data["products"]).distinct()
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        return queryset


class CustomerPickerWidget(ChoicePickerWidget):
    """GEN-06 customer picker: region tree, then the customers there the user may see, with search."""

    picker_url_name = "customers:customer_picker"

    def __init__(self, *, user=None, multiple=False, attrs=None):
        super().__init__(multiple=multiple, attrs=attrs)
        self.user = user

    def queryset(self):
        return Customer.objects.visible_to(self.user).alive()

    def label(self, obj) -> str:
        return f"{obj.name} ({obj.code})"
