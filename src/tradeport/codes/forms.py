from django import forms
from django.utils.translation import gettext_lazy as _

from tradeport.codes.models import CodeItem


class CodeItemForm(forms.ModelForm):
    class Meta:
        model = CodeItem
        fields = ["code", "name_zh", "name_en", "sort_order", "is_active", "reminder_days"]

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        if not group.has_reminder_days:
            del self.fields["reminder_days"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = CodeItem.objects.filter(group=self.group, code__iexact=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This group already has an item with the code %(code)s.") % {"code": code})
        return code
