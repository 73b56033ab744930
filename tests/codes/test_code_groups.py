"""Code groups (CODE-01..05): presets, items, uniqueness, deactivation, deletion, log and permissions."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from matrix import check_matrix
from org.referrer import refer_to
from tradeport.audit.models import OperationLogEntry
from tradeport.codes.forms import CodeItemForm
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.codes.presets import load_codes
from tradeport.system.presets import load_all
from tradeport.system.usage import references

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")

# CODE-02, written out from the specification.
SPEC_GROUPS = {
    "customer_type": "Customer type", "customer_level": "Customer level", "customer_source": "Customer source",
    "industry": "Industry", "product": "Products", "contact_purpose": "Contact purpose",
    "followup_method": "Follow-up method", "contact_direction": "Contact direction", "category": "Category",
}
SPEC_EXAMPLES = {
    "customer_type": {"Importer", "Wholesaler", "Retailer", "Distributor", "Manufacturer"},
    "customer_source": {"Trade fair", "Website", "B2B platform", "Referral", "Search engine", "Other"},
    "contact_purpose": {"Inquiry", "Quotation", "Sample", "Order", "Payment", "After-sales", "Greeting"},
    "followup_method": {"Email", "Fax", "Phone", "Chat/IM", "Visit", "Other"},
    "category": {"General", "Inquiry", "Quotation", "Order", "Complaint"},
}


def item(group: str, code: str) -> CodeItem:
    return CodeItem.objects.get(group__key=group, code=code)


def item_data(**overrides) -> dict:
    data = {"code": "AGENT", "name_zh": "代理商", "name_en": "Agent", "sort_order": "70", "is_active": "on",
            "reminder_days": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Permission matrix (GEN-01) ---------------------------------------------------------

@pytest.mark.parametrize("name", ["group_list", "item_create", "item_update", "item_delete"])
def test_every_code_page_needs_the_code_groups_function(roles, presets, name):
    """CODE-01, GEN-01: code-group pages need fn_code_groups; salespeople and outsiders get 403."""
    args = {"group_list": [], "item_create": ["customer_type"]}.get(name, [item("customer_type", "IMP").pk])
    check_matrix(reverse(f"codes:{name}", args=args), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_toggle_is_post_only_and_in_the_matrix(roles, presets):
    """CODE-04, GEN-01: deactivation is a POST that needs fn_code_groups; GET is not allowed."""
    url = reverse("codes:item_toggle", args=[item("customer_type", "IMP").pk])
    check_matrix(url, users=roles, method="post", anonymous=302, outsider=403, salesperson=403, manager=302)
    check_matrix(url, users=roles, manager=405)


def test_a_refused_code_post_changes_nothing(client, presets, salesperson, signed_in):
    """GEN-01, CODE-04: a salesperson's direct POSTs to add or delete an item are refused."""
    signed_in(client, salesperson)
    assert client.post(reverse("codes:item_create", args=["customer_type"]), item_data()).status_code == 403
    assert client.post(reverse("codes:item_delete", args=[item("customer_type", "IMP").pk])).status_code == 403
    assert not CodeItem.objects.filter(code="AGENT").exists()
    assert CodeItem.objects.filter(group__key="customer_type", code="IMP").exists()


# Presets (CODE-02, CODE-03, CODE-05) ------------------------------------------------------

def test_the_nine_required_groups_are_preset_in_chinese_and_english(presets):
    """CODE-02: the nine groups of the specification exist, each with a Chinese and an English name."""
    groups = {g.key: g for g in CodeGroup.objects.all()}
    assert set(groups) == set(SPEC_GROUPS)
    assert {key: g.name_en for key, g in groups.items()} == SPEC_GROUPS
    assert [key for key, g in groups.items() if not CJK.search(g.name_zh)] == []
    assert groups["customer_level"].name_zh == "客户级别"


def test_every_preset_item_has_a_chinese_and_an_english_name(presets):
    """CODE-02, CODE-03: every group has preset items, each with Chinese and English names, all active."""
    for group in CodeGroup.objects.all():
        items = list(group.items.all())
        assert items, f"{group.key} has no preset item"
        assert [i.code for i in items if not CJK.search(i.name_zh) or not i.name_en] == [], group.key
        assert all(i.is_active for i in items)


@pytest.mark.parametrize("key", sorted(SPEC_EXAMPLES))
def test_preset_items_include_the_specification_examples(presets, key):
    """CODE-02: the example values of the specification are preset."""
    assert set(CodeItem.objects.of(key).values_list("name_en", flat=True)) >= SPEC_EXAMPLES[key]


def test_contact_direction_has_incoming_and_outgoing(presets):
    """CODE-02: the contact direction is either incoming (customer → us) or outgoing (us → customer)."""
    names = list(CodeItem.objects.of("contact_direction").values_list("name_en", flat=True))
    assert len(names) == 2
    assert names[0].startswith("Incoming")
    assert names[1].startswith("Outgoing")


def test_customer_levels_carry_default_reminder_days(presets):
    """CODE-05: the customer levels A, B, C, D each carry default reminder days; other groups do not."""
    levels = list(CodeItem.objects.of("customer_level"))
    assert [i.code for i in levels] == ["A", "B", "C", "D"]
    days = [i.reminder_days for i in levels]
    assert all(isinstance(d, int) and d > 0 for d in days)
    assert days == sorted(days)  # key accounts are followed up soonest
    assert [g.key for g in CodeGroup.objects.filter(has_reminder_days=True)] == ["customer_level"]
    assert not CodeItem.objects.exclude(group__key="customer_level").filter(reminder_days__isnull=False).exists()


def test_loading_the_code_presets_again_changes_nothing_and_keeps_edits(presets):
    """CODE-02: presets load idempotently and never overwrite an edit or revive a deletion."""
    before = CodeItem.objects.count()
    level_a = item("customer_level", "A")
    level_a.reminder_days = 3
    level_a.name_en = "A (strategic)"
    level_a.save()
    load_codes()
    load_all(only=("codes",))
    assert CodeItem.objects.count() == before
    assert CodeGroup.objects.count() == 9
    level_a.refresh_from_db()
    assert (level_a.reminder_days, level_a.name_en) == (3, "A (strategic)")


# The page (CODE-01) --------------------------------------------------------------------

def test_group_page_lists_the_groups_and_the_chosen_groups_items(manager_client, presets):
    """CODE-01, CODE-05: the page lists every group; a customer-level page shows reminder days."""
    first = manager_client.get(reverse("codes:group_list"))
    assert first.context["group"].key == "customer_type"
    assert len(first.context["groups"]) == 9
    response = manager_client.get(reverse("codes:group_list"), {"group": "customer_level"})
    html = response.content.decode()
    assert [i.code for i in response.context["items"]] == ["A", "B", "C", "D"]
    assert "Default reminder days" in html
    assert f"<td>{item('customer_level', 'A').reminder_days}</td>" in html
    assert "Default reminder days" not in manager_client.get(
        reverse("codes:group_list"), {"group": "category"}).content.decode()


def test_group_page_renders_chinese(client, presets, manager, signed_in):
    """CODE-01, CODE-02: a Chinese browser sees the groups and items by their Chinese names."""
    signed_in(client, manager)
    html = client.get(reverse("codes:group_list"), {"group": "customer_source"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户来源" in html
    assert "展会" in html
    assert "代码群维护" in html


def test_items_are_named_in_the_readers_language(presets):
    """CODE-03: an item shows its Chinese name to Chinese readers and its English name otherwise."""
    fair = item("customer_source", "FAIR")
    with translation.override("zh-hans"):
        assert str(fair) == "展会"
    with translation.override("en"):
        assert str(fair) == "Trade fair"


# Add and modify (CODE-03, CODE-04) ---------------------------------------------------------

def test_add_an_item_to_a_group(manager_client, presets):
    """CODE-03, CODE-04: [Add item] stores code, names, sort order and active flag in the group."""
    response = manager_client.post(reverse("codes:item_create", args=["customer_type"]), item_data(), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('codes:group_list')}?group=customer_type"
    assert "Agent saved in Customer type." in response.content.decode()
    agent = item("customer_type", "AGENT")
    assert (agent.name_zh, agent.name_en, agent.sort_order, agent.is_active, agent.reminder_days) == (
        "代理商", "Agent", 70, True, None)


def test_reminder_days_are_offered_only_for_customer_levels(manager_client, presets):
    """CODE-05: the default reminder days field appears for customer levels and nowhere else."""
    level = manager_client.get(reverse("codes:item_create", args=["customer_level"])).context["form"]
    kind = manager_client.get(reverse("codes:item_create", args=["customer_type"])).context["form"]
    assert "reminder_days" in level.fields
    assert "reminder_days" not in kind.fields
    manager_client.post(reverse("codes:item_create", args=["customer_level"]),
                        item_data(code="E", name_zh="E 级", name_en="E", reminder_days="90"))
    assert item("customer_level", "E").reminder_days == 90
    manager_client.post(reverse("codes:item_create", args=["customer_type"]), item_data(reminder_days="5"))
    assert item("customer_type", "AGENT").reminder_days is None


@pytest.mark.parametrize("code", ["IMP", "imp", " Imp "])
def test_duplicate_code_in_the_same_group_is_refused_case_insensitively(manager_client, presets, code):
    """CODE-03: a code is unique within its group, whatever its case."""
    response = manager_client.post(reverse("codes:item_create", args=["customer_type"]), item_data(code=code))
    assert response.status_code == 200
    message = f"This group already has an item with the code {code.strip()}."
    assert response.context["form"].errors["code"] == [message]
    assert message in response.content.decode()
    assert CodeItem.objects.of("customer_type").filter(code__iexact="imp").count() == 1


def test_the_same_code_may_be_used_in_another_group(manager_client, presets):
    """CODE-03: uniqueness is per group: category and contact purpose can both have INQ."""
    assert item("category", "INQ").group != item("contact_purpose", "INQ").group
    response = manager_client.post(reverse("codes:item_create", args=["industry"]), item_data(code="IMP"))
    assert response.status_code == 302
    assert item("industry", "IMP").name_en == "Agent"


def test_modify_an_item_keeps_its_own_code(manager_client, presets):
    """CODE-04: modifying an item does not clash with itself, but does clash with a sibling."""
    imp = item("customer_type", "IMP")
    url = reverse("codes:item_update", args=[imp.pk])
    assert manager_client.get(url).context["form"]["code"].value() == "IMP"
    assert manager_client.post(url, item_data(code="IMP", name_en="Importer (direct)")).status_code == 302
    imp.refresh_from_db()
    assert imp.name_en == "Importer (direct)"
    clash = manager_client.post(url, item_data(code="whs"))
    assert clash.context["form"].errors["code"] == ["This group already has an item with the code whs."]


def test_code_item_form_checks_within_its_group_only(presets):
    """CODE-03: the form's duplicate check is scoped to the group it was opened for."""
    group = CodeGroup.objects.get(key="industry")
    form = CodeItemForm(data=item_data(code="IMP"), group=group, instance=CodeItem(group=group))
    assert form.is_valid(), form.errors
    form = CodeItemForm(data=item_data(code="tex"), group=group, instance=CodeItem(group=group))
    assert not form.is_valid()


# Deactivate (CODE-04) -------------------------------------------------------------------

def test_deactivate_and_activate_toggle_an_item(manager_client, presets):
    """CODE-04: [Deactivate] takes an item out of the drop-downs; [Activate] brings it back."""
    fax = item("followup_method", "FAX")
    url = reverse("codes:item_toggle", args=[fax.pk])
    response = manager_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('codes:group_list')}?group=followup_method"
    assert "Fax is deactivated: it leaves the drop-downs but still shows on old records." in (
        response.content.decode())
    fax.refresh_from_db()
    assert not fax.is_active
    assert fax not in CodeItem.objects.choices_for("followup_method")
    assert "Deactivated" in response.content.decode()

    response = manager_client.post(url, follow=True)
    assert "Fax is active again." in response.content.decode()
    fax.refresh_from_db()
    assert fax.is_active
    assert fax in CodeItem.objects.choices_for("followup_method")


def test_a_deactivated_item_still_shows_on_an_old_record(presets):
    """CODE-04: choices_for(group, keep=item) still offers the deactivated value an old record holds."""
    fax = item("followup_method", "FAX")
    fax.is_active = False
    fax.save()
    active = set(CodeItem.objects.choices_for("followup_method"))
    assert fax not in active
    assert set(CodeItem.objects.choices_for("followup_method", keep=fax)) == active | {fax}
    assert fax in CodeItem.objects.choices_for("followup_method", keep=fax.pk)
    # keep= never pulls in an item of another group.
    other = item("category", "GEN")
    assert other not in CodeItem.objects.choices_for("followup_method", keep=other)


# Delete (CODE-04) -----------------------------------------------------------------------

def test_delete_an_unused_item(manager_client, presets):
    """CODE-04: an item no record uses can be deleted after confirmation."""
    other = item("followup_method", "OTHER")
    confirm = manager_client.get(reverse("codes:item_delete", args=[other.pk])).content.decode()
    assert "Delete Other from Follow-up method?" in confirm
    assert "An item already used by records cannot be deleted; deactivate it instead." in confirm
    response = manager_client.post(reverse("codes:item_delete", args=[other.pk]), follow=True)
    assert "Other deleted." in response.content.decode()
    assert not CodeItem.objects.filter(pk=other.pk).exists()


def test_delete_of_an_item_in_use_is_refused(manager_client, presets):
    """CODE-04: an item that records use cannot be deleted; the message says to deactivate it."""
    level = item("customer_level", "B")
    customer = refer_to(code_item=level)
    assert references(level) == [("customers", 1)]
    response = manager_client.post(reverse("codes:item_delete", args=[level.pk]), follow=True)
    assert "B is in use (customers (1)); deactivate it instead." in response.content.decode()
    assert CodeItem.objects.filter(pk=level.pk).exists()
    # Deactivating it is the way out, and it stays on the old record.
    manager_client.post(reverse("codes:item_toggle", args=[level.pk]))
    customer.refresh_from_db()
    assert level in CodeItem.objects.choices_for("customer_level", keep=customer.level)


def test_an_unused_item_has_no_references(presets):
    """CODE-04: system.usage.references() finds nothing for a fresh item."""
    assert references(item("followup_method", "FAX")) == []


# Operation log (GEN-05) -----------------------------------------------------------------

def test_changing_a_code_item_is_in_the_operation_log(manager_client, manager, presets):
    """GEN-05, CODE-04: modifying and deactivating an item write "codes" rows with before and after."""
    level_b = item("customer_level", "B")
    url = reverse("codes:item_update", args=[level_b.pk])
    manager_client.post(url, item_data(code="B", name_zh="B 级", name_en="B (regular)", sort_order="10",
                                       reminder_days="21"))
    manager_client.post(reverse("codes:item_toggle", args=[level_b.pk]))
    rows = list(OperationLogEntry.objects.filter(object_type="codes.codeitem", object_id=str(level_b.pk))
                .exclude(action=OperationLogEntry.Action.CREATE).order_by("id"))  # the preset load created it
    assert [(r.module, r.action, r.username) for r in rows] == [
        ("codes", OperationLogEntry.Action.UPDATE, manager.username)] * 2
    assert rows[0].changes == {"name_en": ["B", "B (regular)"], "reminder_days": [14, 21]}
    assert rows[1].changes == {"is_active": [True, False]}


def test_adding_and_deleting_a_code_item_is_in_the_operation_log(manager_client, presets):
    """GEN-05, CODE-04: adding and deleting an item each write a "codes" row."""
    manager_client.post(reverse("codes:item_create", args=["customer_type"]), item_data())
    agent = item("customer_type", "AGENT")
    manager_client.post(reverse("codes:item_delete", args=[agent.pk]))
    rows = OperationLogEntry.objects.filter(object_type="codes.codeitem", object_id=str(agent.pk))
    created = rows.get(action=OperationLogEntry.Action.CREATE)
    deleted = rows.get(action=OperationLogEntry.Action.DELETE)
    assert created.module == deleted.module == "codes"
    assert created.changes["code"] == [None, "AGENT"]
    assert deleted.changes["name_zh"] == ["代理商", None]
