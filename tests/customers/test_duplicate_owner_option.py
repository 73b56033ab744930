"""What the duplicate check (查重) tells about a record someone else holds follows a system option
(CUST-01, CUST-22, ADM-05, PERM-13): the owner's name by default, or only "a colleague"."""

import pytest
from django.urls import reverse

from customers.conftest import client_for, make_customer
from tradeport.system import options
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanse(people, world):
    return make_customer("Hanse Trade GmbH", world["germany"], actor=people["zhang"], main_email="info@hanse-trade.de")


def check(account) -> str:
    response = client_for(account).post(reverse("customers:duplicate_check"), {
        "name": "Hanse Trade", "main_email": "kontakt@hanse-trade.de"})
    assert response.status_code == 200
    return response.content.decode()


def test_by_default_the_owner_of_a_hidden_record_is_named(people, hanse):
    """CUST-22, ADM-05: the default is to show the owner, so the salesperson knows whom to ask."""
    assert options.get("duplicate_check_owner") == "show"
    html = check(people["li"])
    assert "A record held by another salesperson" in html
    assert "owner: 张三" in html


def test_with_the_option_off_only_a_colleague_is_said(people, hanse):
    """CUST-22, ADM-05, PERM-13: nobody learns who owns a name or domain; the owner still sees their own."""
    SystemOption.objects.create(key="duplicate_check_owner", value="hide")
    html = check(people["li"])
    assert "A record held by another salesperson" in html
    assert "owner: a colleague" in html
    assert "张三" not in html
    assert "owner: 张三" in check(people["zhang"])


def test_the_option_is_offered_on_the_system_options_page(admin_account, people, hanse):
    """ADM-05: the administrator finds it among the system options and switches it in the form."""
    from django.test import Client

    from conftest import sign_in

    admin = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), admin_account)
    assert "Owner in the duplicate check" in admin.get(reverse("console:option_list")).content.decode()
    url = reverse("console:option_update", args=["duplicate_check_owner"])
    assert "Say only that a colleague holds it" in admin.get(url).content.decode()
    assert admin.post(url, {"value": "hide"}).status_code == 302
    assert "owner: a colleague" in check(people["li"])
