"""Tampered or stale ids in customer and ownership requests: a clear answer, never a 500 (GEN-06, CUST-14, OWN-03)."""

import pytest
from django.urls import reverse

from conftest import sign_in
from customers.conftest import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(manager):
    """A signed-in manager whose client reports server errors as responses instead of raising them."""
    from django.test import Client

    return sign_in(Client(raise_request_exception=False), manager)


@pytest.mark.parametrize(("name", "params"), [
    ("customer_list", {"region": "abc"}),
    ("customer_query", {"region": "abc"}),
    ("customer_export", {"region": "abc"}),
    ("customer_list", {"owner": "abc", "products": "abc", "level": "abc"}),
    ("customer_picker", {"region": "abc"}),
    ("ownership_setup", {"region": "abc"}),
    ("ownership_setup", {"view": "salesperson", "salesperson": "abc"}),
    ("ownership_query", {"load": "abc"}),
])
def test_a_malformed_id_in_the_query_string_is_not_a_server_error(browser, name, params):
    """CUST-14, CUST-17, OWN-03, OWN-18, GEN-06: a non-number where an id belongs is ignored or 404.

    The views look ids up with .filter(pk=request.GET[...]) or get_object_or_404, which raise ValueError on "abc".
    """
    response = browser.get(reverse(f"customers:{name}"), params)
    assert response.status_code in (200, 400, 404), f"{name}?{params} answered {response.status_code}"


@pytest.mark.parametrize(("name", "data"), [
    ("customer_bulk_assign", {"customer": ["abc"], "owners": ["abc"]}),
    ("ownership_move", {"source": "abc", "target": "abc", "customer": ["abc"]}),
    ("duplicate_check", {"pk": "abc", "name": "x"}),
])
def test_a_malformed_id_in_a_post_is_not_a_server_error(browser, people, world, name, data):
    """OWN-05, OWN-06, GEN-06: tampered ids in a POST change nothing and give no 500."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    response = browser.post(reverse(f"customers:{name}"), data)
    assert response.status_code in (200, 302, 400, 404), f"{name} answered {response.status_code}"
    assert list(customer.ownerships.current().values_list("employee__code", flat=True)) == ["E01"]
