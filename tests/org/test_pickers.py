"""The shared pickers (GEN-06): region picker and department → employee picker, views and widgets."""

import re

import pytest
from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

from matrix import check_matrix
from tradeport.org.forms import RegionForm
from tradeport.org.models import Employee, Region
from tradeport.org.widgets import EmployeePickerWidget, RegionPickerWidget

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_department, make_employee):
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    develop = make_department("02", "开发部")
    return {
        "trade": trade, "team": team, "develop": develop,
        "zhang": make_employee("E001", "张伟", trade, name_en="Wei Zhang", is_salesperson=True),
        "li": make_employee("E002", "李娜", team, is_salesperson=True),
        "wang": make_employee("E003", "王芳", develop, is_doc_clerk=True),
        "zhao": make_employee("E004", "赵强", team, is_salesperson=True, status=Employee.Status.LEFT),
    }


def pick_values(html: str) -> list[str]:
    return re.findall(r'data-pick-value="([^"]*)"', html)


def pick_labels(html: str) -> list[str]:
    return re.findall(r'data-pick-label="([^"]*)"', html)


@pytest.mark.parametrize("name", ["region_picker", "employee_picker"])
def test_pickers_need_a_login_but_no_particular_function(roles, name):
    """GEN-06: the pickers serve every signed-in user's forms; anonymous users are sent to log in."""
    check_matrix(reverse(f"org:{name}"), users=roles,
                 anonymous=302, outsider=200, salesperson=200, manager=200, admin=200)


# Region picker ----------------------------------------------------------------------

def test_region_picker_browses_from_the_roots_down(manager_client, small_world):
    """GEN-06: the region picker opens on the continents, then shows a node's children with a trail."""
    url = reverse("org:region_picker")
    roots = manager_client.get(url, {"target": "id_region"})
    assert [r.code for r in roots.context["items"]] == ["X-AS", "X-EU"]
    html = roots.content.decode()
    assert 'data-picker-body="id_region"' in html
    assert f'parent={small_world["europe"].pk}' in html

    germany = small_world["germany"]
    inside = manager_client.get(url, {"target": "id_region", "parent": germany.pk})
    assert [r.code for r in inside.context["items"]] == ["X-BY"]
    assert inside.context["trail"] == [small_world["europe"], germany]
    html = inside.content.decode()
    assert pick_values(html) == [str(small_world["bavaria"].pk)]
    assert pick_labels(html) == ["Europe / Germany / Bavaria"]


def test_region_picker_searches_the_whole_tree(manager_client, small_world):
    """GEN-06: typing in the region picker searches Chinese and English names and codes at every level."""
    url = reverse("org:region_picker")
    found = manager_client.get(url, {"q": "慕尼黑"}).content.decode()
    assert pick_values(found) == [str(small_world["munich"].pk)]
    assert pick_labels(found) == ["Europe / Germany / Bavaria / Munich"]
    assert [r.code for r in manager_client.get(url, {"q": "china"}).context["items"]] == ["X-CN"]
    assert "No region matches." in manager_client.get(url, {"q": "Atlantis"}).content.decode()


def test_region_picker_labels_are_chinese_for_a_chinese_reader(manager_client, small_world):
    """GEN-06: the picked label is the path in the reader's language (欧洲 / 德国)."""
    html = manager_client.get(reverse("org:region_picker"), {"parent": small_world["europe"].pk},
                              HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert pick_labels(html) == ["欧洲 / 德国"]


def test_region_picker_widget_renders_the_chosen_path(small_world):
    """GEN-06: the region picker field shows the chosen region's path and keeps its id in a hidden input."""
    munich = small_world["munich"]
    widget = RegionPickerWidget()
    html = widget.render("region", munich.pk, attrs={"id": "id_region"})
    assert f'<input type="hidden" name="region" id="id_region" value="{munich.pk}">' in html
    assert 'value="Europe / Germany / Bavaria / Munich"' in html
    assert f'hx-get="{reverse("org:region_picker")}?target=id_region"' in html
    with translation.override("zh-hans"):
        assert 'value="欧洲 / 德国 / 巴伐利亚州 / 慕尼黑"' in widget.render("region", munich.pk, attrs={"id": "id_r"})
    empty = widget.render("region", None, attrs={"id": "id_region"})
    assert 'name="region" id="id_region" value=""' in empty


def test_region_form_takes_its_parent_from_the_picker(small_world):
    """GEN-06, ORG-17: the region form's parent is a region picker and validates the posted id."""
    form = RegionForm(data={"code": "X-HAM", "name_zh": "汉堡", "name_en": "Hamburg", "level": "4",
                            "parent": str(small_world["germany"].pk), "sort_order": "0", "time_zones_text": ""})
    assert isinstance(form.fields["parent"].widget, RegionPickerWidget)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["parent"] == small_world["germany"]


# Employee picker --------------------------------------------------------------------

def test_employee_picker_single_mode_lists_active_employees_by_pk(manager_client, staff):
    """GEN-06, ORG-14: one choice per click, active employees only, the value is the employee id."""
    response = manager_client.get(reverse("org:employee_picker"), {"target": "id_owner"})
    html = response.content.decode()
    assert pick_values(html) == [str(staff[k].pk) for k in ("zhang", "li", "wang")]
    assert "张伟 (E001)" in pick_labels(html)
    assert 'role="option"' in html
    assert 'type="checkbox"' not in html
    assert "data-pick-confirm" not in html
    assert [d.code for d in response.context["departments"]] == ["01", "0101", "02"]


def test_employee_picker_multiple_mode_offers_checkboxes_and_ok(manager_client, staff):
    """GEN-06: multiple=1 lets several employees be ticked and confirmed with [OK]."""
    html = manager_client.get(reverse("org:employee_picker"), {"multiple": "1", "target": "id_owners"}).content.decode()
    assert html.count('type="checkbox"') == 3
    assert "data-pick-confirm" in html
    assert "data-multiple" in html
    assert 'name="multiple" value="1"' in html  # the search form keeps the mode


def test_employee_picker_for_salespeople_lists_only_the_salesperson_flag(manager_client, staff):
    """GEN-06, ORG-09: a salesperson picker lists only active employees with the salesperson flag."""
    html = manager_client.get(reverse("org:employee_picker"), {"salespeople": "1"}).content.decode()
    assert pick_values(html) == [str(staff["zhang"].pk), str(staff["li"].pk)]
    assert 'name="salespeople" value="1"' in html


def test_employee_picker_department_includes_sub_departments(manager_client, staff):
    """GEN-06, ORG-06: choosing a department lists its employees and those of its sub-departments."""
    url = reverse("org:employee_picker")
    trade = manager_client.get(url, {"department": staff["trade"].pk, "to": "code"}).content.decode()
    assert pick_values(trade) == ["E001", "E002"]
    assert f'name="department" value="{staff["trade"].pk}"' in trade
    assert pick_values(manager_client.get(url, {"department": staff["team"].pk, "to": "code"})
                       .content.decode()) == ["E002"]


def test_employee_picker_can_return_codes(manager_client, staff):
    """GEN-06: to=code makes the picked values employee codes instead of ids."""
    html = manager_client.get(reverse("org:employee_picker"), {"to": "code", "salespeople": "1",
                                                              "multiple": "1"}).content.decode()
    assert pick_values(html) == ["E001", "E002"]
    assert 'name="to" value="code"' in html


@pytest.mark.parametrize(("query", "codes"), [("E003", ["E003"]), ("李", ["E002"]), ("wei zh", ["E001"]),
                                              ("赵", [])])
def test_employee_picker_search(manager_client, staff, query, codes):
    """GEN-06: the picker searches code, name and English name among active employees."""
    html = manager_client.get(reverse("org:employee_picker"), {"q": query, "to": "code"}).content.decode()
    assert pick_values(html) == codes


# Employee picker widget -------------------------------------------------------------

class OwnersForm(forms.Form):
    owners = forms.ModelMultipleChoiceField(queryset=Employee.objects.salespeople(), required=False,
                                            widget=EmployeePickerWidget(multiple=True, salespeople=True))
    reviewer = forms.ModelChoiceField(queryset=Employee.objects.active(), to_field_name="code", required=False,
                                      widget=EmployeePickerWidget(to_field="code"))


def test_multi_select_widget_round_trips_a_list_of_values(staff):
    """GEN-06: a multi-select employee picker posts one value per person and the form gets them all."""
    zhang, li = staff["zhang"], staff["li"]
    data = QueryDict(mutable=True)
    data.setlist("owners", [str(zhang.pk), str(li.pk), ""])
    data["reviewer"] = "E003"
    widget = OwnersForm.base_fields["owners"].widget
    assert widget.value_from_datadict(data, {}, "owners") == [str(zhang.pk), str(li.pk)]
    form = OwnersForm(data=data)
    assert form.is_valid(), form.errors
    assert set(form.cleaned_data["owners"]) == {zhang, li}
    assert form.cleaned_data["reviewer"] == staff["wang"]

    html = str(form["owners"])
    assert f'<input type="hidden" name="owners" value="{zhang.pk}">' in html
    assert f'<input type="hidden" name="owners" value="{li.pk}">' in html
    assert "张伟 (E001)" in html
    assert "李娜 (E002)" in html
    assert "data-picker-multiple" in html
    assert f'{reverse("org:employee_picker")}?to=pk&amp;multiple=1&amp;salespeople=1&target=id_owners' in html


def test_multi_select_widget_with_nothing_chosen(staff):
    """GEN-06: an empty multi-select is an empty choice, not "field missing", and says nobody is chosen."""
    widget = EmployeePickerWidget(multiple=True)
    assert widget.value_from_datadict(QueryDict(""), {}, "owners") == []
    assert widget.value_omitted_from_data(QueryDict(""), {}, "owners") is False
    assert "Nobody chosen" in widget.render("owners", None, attrs={"id": "id_owners"})


def test_single_widget_renders_the_chosen_employee_by_code(staff):
    """GEN-06: a single employee picker keyed by code shows the chosen person's name and code."""
    widget = EmployeePickerWidget(to_field="code")
    html = widget.render("reviewer", "E003", attrs={"id": "id_reviewer"})
    assert '<input type="hidden" name="reviewer" value="E003">' in html
    assert "王芳 (E003)" in html
    assert "data-picker-multiple" not in html
    assert widget.value_from_datadict(QueryDict("reviewer=E001"), {}, "reviewer") == "E001"


def test_widget_keeps_a_value_it_does_not_know(staff):
    """GEN-06: a value that matches nobody (say, a deleted code) is still shown and posted, flagged."""
    html = EmployeePickerWidget(multiple=True, to_field="code").render(
        "owners", ["E001", "GONE"], attrs={"id": "id_owners"})
    assert '<span class="badge text-bg-warning" data-value="GONE">' in html
    assert '<input type="hidden" name="owners" value="GONE">' in html
    assert "张伟 (E001)" in html


def test_left_employees_are_not_valid_salesperson_choices(staff):
    """GEN-06, ORG-14: a posted id of an employee who left is refused by a salesperson picker field."""
    form = OwnersForm(data=QueryDict(f"owners={staff['zhao'].pk}"))
    assert not form.is_valid()
    assert "owners" in form.errors
    assert Region.objects.count() == 0  # nothing else touched
