from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tradeport.accounts.permissions import function_required
from tradeport.codes import services
from tradeport.codes.forms import CodeItemForm
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.system.confirm import confirm_delete


def _group_url(group: CodeGroup) -> str:
    return f"{reverse('codes:group_list')}?group={group.key}"


@function_required("fn_code_groups")
def group_list(request):
    groups = CodeGroup.objects.all()
    group = groups.filter(key=request.GET.get("group")).first() or groups.first()
    items = group.items.all() if group else []
    return render(request, "codes/group_list.html", {"groups": groups, "group": group, "items": items})


@function_required("fn_code_groups")
@require_http_methods(["GET", "POST"])
def item_create(request, key):
    group = get_object_or_404(CodeGroup, key=key)
    return _item_form(request, group, CodeItem(group=group))


@function_required("fn_code_groups")
@require_http_methods(["GET", "POST"])
def item_update(request, pk):
    item = get_object_or_404(CodeItem.objects.select_related("group"), pk=pk)
    return _item_form(request, item.group, item)


def _item_form(request, group, item):
    form = CodeItemForm(request.POST or None, instance=item, group=group)
    if request.method == "POST" and form.is_valid():
        services.code_item_save(item=form.save(commit=False))
        messages.success(request, _("%(item)s saved in %(group)s.") % {"item": item.name, "group": group.name})
        return redirect(_group_url(group))
    return render(request, "codes/item_form.html", {"form": form, "group": group, "item": item})


@function_required("fn_code_groups")
@require_POST
def item_toggle(request, pk):
    item = get_object_or_404(CodeItem.objects.select_related("group"), pk=pk)
    item.is_active = not item.is_active
    services.code_item_save(item=item)
    if item.is_active:
        messages.success(request, _("%(item)s is active again.") % {"item": item.name})
    else:
        messages.success(request, _("%(item)s is deactivated: it leaves the drop-downs but still shows on old records.")
                         % {"item": item.name})
    return redirect(_group_url(item.group))


@function_required("fn_code_groups")
@require_http_methods(["GET", "POST"])
def item_delete(request, pk):
    item = get_object_or_404(CodeItem.objects.select_related("group"), pk=pk)
    return confirm_delete(
        request, delete=lambda: services.code_item_delete(item=item),
        question=_("Delete %(item)s from %(group)s?") % {"item": item.name, "group": item.group.name},
        note=_("An item already used by records cannot be deleted; deactivate it instead."),
        cancel_url=_group_url(item.group), done_url=_group_url(item.group),
        done_message=_("%(item)s deleted.") % {"item": item.name},
    )
