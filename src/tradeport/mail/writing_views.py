"""What helps writing: templates (SHORT-03, PERS-08), common phrases (PERS-07) and the signature
and default sender mailbox (PERS-05)."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeport.accounts.permissions import function_required
from tradeport.mail.followup_views import reader_required
from tradeport.mail.forms import CommonPhraseForm, MailTemplateForm, SenderSettingsForm
from tradeport.mail.models import CommonPhrase, MailTemplate, SenderSettings
from tradeport.system.lists import list_page


def may_share_templates(user) -> bool:
    return user.is_administrator or user.has_perm("accounts.all_customers_inspection")


def _editable_templates(request):
    """Own templates; shared ones too for those who may share."""
    templates = MailTemplate.objects.filter(owner=request.user)
    if may_share_templates(request.user):
        templates = MailTemplate.objects.usable_by(request.user)
    return templates


@reader_required
def template_list(request):
    listing = list_page(request, MailTemplate.objects.usable_by(request.user), search_fields=("name", "subject"),
                        sort_fields={"name": "name", "updated": "updated_at"}, default_sort="name")
    editable = set(_editable_templates(request).values_list("pk", flat=True))
    return render(request, "mail/template_list.html", {"listing": listing, "editable": editable})


@reader_required
def template_edit(request, pk=None):
    template = get_object_or_404(_editable_templates(request), pk=pk) if pk else MailTemplate(owner=request.user)
    form = MailTemplateForm(request.POST or None, instance=template, may_share=may_share_templates(request.user))
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        if "shared" in form.fields:
            template.owner = None if form.cleaned_data["shared"] else (template.owner or request.user)
        template.updated_at = timezone.now()
        template.save()
        messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
        return redirect("mail:template_list")
    return render(request, "mail/template_form.html", {"form": form, "template": template})


@reader_required
def template_delete(request, pk):
    template = get_object_or_404(_editable_templates(request), pk=pk)
    if request.method == "POST":
        template.delete()
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
        return redirect("mail:template_list")
    return render(request, "confirm_delete.html", {
        "question": _("Delete the template “%(name)s”?") % {"name": template.name},
        "cancel_url": "../../"})


@function_required("fn_common_phrases")
def phrase_list(request):
    phrases = CommonPhrase.objects.filter(owner=request.user)
    form = CommonPhraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phrase = form.save(commit=False)
        phrase.owner = request.user
        phrase.position = (phrases.aggregate(last=Max("position"))["last"] or 0) + 1
        phrase.save()
        messages.success(request, _("Phrase “%(title)s” added.") % {"title": phrase.title})
        return redirect("mail:phrase_list")
    return render(request, "mail/phrase_list.html", {"form": form, "phrases": phrases})


@function_required("fn_common_phrases")
def phrase_edit(request, pk):
    phrase = get_object_or_404(CommonPhrase, pk=pk, owner=request.user)
    form = CommonPhraseForm(request.POST or None, instance=phrase)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Phrase “%(title)s” saved.") % {"title": phrase.title})
        return redirect("mail:phrase_list")
    return render(request, "mail/phrase_form.html", {"form": form, "phrase": phrase})


@function_required("fn_common_phrases")
@require_POST
def phrase_action(request, pk, action):
    phrase = get_object_or_404(CommonPhrase, pk=pk, owner=request.user)
    if action == "delete":
        phrase.delete()
        messages.success(request, _("Phrase “%(title)s” deleted.") % {"title": phrase.title})
    elif action in ("up", "down"):
        with transaction.atomic():
            ordered = list(CommonPhrase.objects.select_for_update().filter(owner=request.user))
            index = next(i for i, p in enumerate(ordered) if p.pk == phrase.pk)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(ordered):
                ordered[index], ordered[other] = ordered[other], ordered[index]
                for position, item in enumerate(ordered, start=1):
                    item.position = position
                CommonPhrase.objects.bulk_update(ordered, ["position"])
    else:
        raise Http404
    return redirect("mail:phrase_list")


@function_required("fn_personalization")
def sender_settings(request):
    settings_row = SenderSettings.objects.filter(account=request.user).first() or SenderSettings(account=request.user)
    form = SenderSettingsForm(request.POST or None, instance=settings_row, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Mail settings saved."))
        return redirect("mail:sender_settings")
    return render(request, "mail/sender_settings.html", {"form": form})
