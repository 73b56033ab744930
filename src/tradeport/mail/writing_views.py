"""What helps writing: templates (SHORT-03, PERS-08), common phrases (PERS-07) and the signature
and default sender mailbox (PERS-05)."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeport.accounts.permissions import function_required
from tradeport.mail.followup_views import reader_required
from tradeport.mail.forms import (
    AddressBookEntryForm,
    CommonPhraseForm,
    MailTemplateForm,
    SenderSettingsForm,
)
from tradeport.mail.models import (
    AddressBookEntry,
    CommonPhrase,
    MailTemplate,
    SenderSettings,
)
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


@function_required("fn_address_book")
def address_book(request):
    """PERS-06, SHORT-04: private entries with search; adding one is on the same page."""
    form = AddressBookEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        entry.owner = request.user
        entry.save()
        messages.success(request, _("%(name)s added to your address book.") % {"name": entry.name})
        return redirect("mail:address_book")
    listing = list_page(request, AddressBookEntry.objects.filter(owner=request.user),
                        search_fields=("name", "company", "email", "group", "phone", "mobile"),
                        sort_fields={"name": "name", "company": "company", "group": "group"}, default_sort="name")
    return render(request, "mail/address_book.html", {"form": form, "listing": listing})


@function_required("fn_address_book")
def address_book_edit(request, pk):
    entry = get_object_or_404(AddressBookEntry, pk=pk, owner=request.user)
    form = AddressBookEntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("%(name)s saved.") % {"name": entry.name})
        return redirect("mail:address_book")
    return render(request, "mail/address_book_form.html", {"form": form, "entry": entry})


@function_required("fn_address_book")
@require_POST
def address_book_delete(request, pk):
    entry = get_object_or_404(AddressBookEntry, pk=pk, owner=request.user)
    entry.delete()
    messages.success(request, _("%(name)s removed from your address book.") % {"name": entry.name})
    return redirect("mail:address_book")


@reader_required
def recipient_picker(request):
    """SEND-02: customers and contacts the user may see, and the user's address book, searchable;
    each address goes into To, Cc or Bcc."""
    from tradeport.customers.models import Contact, Customer

    source = request.GET.get("source", "customers")
    query = request.GET.get("q", "").strip()
    rows = []
    if source == "book":
        entries = AddressBookEntry.objects.filter(owner=request.user).exclude(email="")
        if query:
            entries = entries.filter(Q(name__icontains=query) | Q(email__icontains=query) |
                                     Q(company__icontains=query) | Q(group__icontains=query))
        rows = [(e.name, e.company, e.email) for e in entries[:50]]
    else:
        visible = Customer.objects.visible_to(request.user).alive()
        customers = visible.exclude(main_email="")
        contacts = Contact.objects.filter(customer__in=visible.values("pk")).exclude(email="").select_related("customer")
        if query:
            customers = customers.filter(Q(name__icontains=query) | Q(code__icontains=query) |
                                         Q(main_email__icontains=query))
            contacts = contacts.filter(Q(name__icontains=query) | Q(email__icontains=query) |
                                       Q(customer__name__icontains=query))
        rows = [(c.name, c.code, c.main_email) for c in customers.order_by("name")[:30]]
        rows += [(c.name, c.customer.name, c.email) for c in contacts.order_by("name")[:30]]
    return render(request, "mail/recipient_picker.html", {"rows": rows, "source": source, "query": query})
