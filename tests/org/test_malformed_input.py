"""Tampered or stale ids in query strings and posts (ORG-01..18, GEN-06): a clear answer, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from tradeport.org.models import Region
from tradeport.org.widgets import EmployeePickerWidget, RegionPickerWidget

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(manager, signed_in):
    """A signed-in manager whose client reports server errors as responses instead of raising them."""
    return signed_in(Client(raise_request_exception=False), manager)


@pytest.mark.parametrize(("name", "param"), [
    ("department_list", "selected"), ("department_create", "parent"),
    ("employee_list", "department"), ("employee_create", "department"),
    ("region_list", "selected"), ("region_create", "parent"),
    ("region_picker", "parent"), ("employee_picker", "department"),
])
def test_a_malformed_id_in_the_query_string_is_not_a_server_error(browser, name, param):
    """ORG-01, ORG-06, ORG-15, GEN-06: ?selected=/?parent=/?department= with a non-number is ignored or 404.

    The views look the id up with .filter(pk=request.GET[...]), which raises ValueError on "abc".
    """
    response = browser.get(reverse(f"org:{name}"), {param: "abc"})
    assert response.status_code in (200, 404), f"{name}?{param}=abc answered {response.status_code}"


def test_a_malformed_parent_in_the_region_form_is_a_form_error(browser):
    """ORG-17, GEN-06: a region picker value that is not an id is refused on the field, not with a 500."""
    response = browser.post(reverse("org:region_create"), {
        "code": "X-1", "name_zh": "某地", "name_en": "Somewhere", "level": "4", "parent": "abc",
        "sort_order": "0", "time_zones_text": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]
    assert not Region.objects.exists()


def test_region_picker_widget_renders_a_malformed_value_without_crashing(db):
    """GEN-06: re-rendering a bound form whose region value is not an id shows an empty label."""
    html = RegionPickerWidget().render("parent", "abc", attrs={"id": "id_parent"})
    assert 'id="id_parent_label" value=""' in html


def test_employee_picker_widget_flags_a_malformed_value_as_unknown(db):
    """GEN-06: an employee picker keyed by id shows a non-id value as unknown instead of crashing."""
    html = EmployeePickerWidget(multiple=True).render("owners", ["abc"], attrs={"id": "id_owners"})
    assert '<span class="badge text-bg-warning" data-value="abc">' in html
