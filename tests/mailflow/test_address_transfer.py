"""Address distribution transfer (MAIL-14, MAIL-15; manual Ch3 §2.6): give an address to a salesperson or
remove its rule on the screen, and the address's next mail, taken in by the real intake pipeline, follows."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from matrix import check_matrix
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail.models import AddressRule, Mail
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db

URL = "mail:address_transfer"
STRANGER = "buyer@newtrade.example"


@pytest.fixture
def boss(world) -> Client:
    client = Client()
    sign_in(client, make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理"))
    return client


def arrive(world, number: int) -> Mail:
    return message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        STRANGER, subject=f"Inquiry {number}", message_id=f"<t{number}@newtrade.example>")).mail


def receivers(mail: Mail) -> list[str]:
    return list(mail.deliveries.values_list("employee__code", flat=True))


def test_the_screen_is_for_holders_of_the_function_and_perm_08(roles):
    """MAIL-14, PERM-08, GEN-01: a manager and the administrator open it; a salesperson and an outsider do not."""
    check_matrix(reverse(URL), users=roles, anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)
    check_matrix(reverse(URL), users=roles, method="post", data={"address": STRANGER},
                 anonymous=302, outsider=403, salesperson=403)


def test_the_function_alone_is_not_enough(db):
    """MAIL-14, PERM-08: routing other people's mail takes the system mail management permission too."""
    from django.contrib.auth.models import Permission

    account = make_account("clerk")
    account.user_permissions.add(Permission.objects.get(codename="fn_address_rule_transfer"))
    client = Client()
    sign_in(client, account)
    assert client.get(reverse(URL)).status_code == 403
    account.user_permissions.add(Permission.objects.get(codename="system_mail"))
    assert client.get(reverse(URL)).status_code == 200


def test_the_menu_entry_is_no_longer_greyed_out(boss):
    """MAIL-14, GEN-01: Customer management → Address distribution transfer is a link to the screen."""
    for language in ("en", "zh-hans"):
        html = boss.get(reverse("workbench"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'data-function="fn_address_rule_transfer" href="{reverse(URL)}"' in html
        assert 'disabled" data-function="fn_address_rule_transfer"' not in html


def test_transfer_moves_the_future_mail_and_remove_sends_it_back_to_undistributed(world, boss):
    """MAIL-14, MAIL-15, MAIL-01, MAIL-02: giving the address to Lily sends its next mail to her; giving it to
    Tom moves the next one to him, the one already delivered stays with Lily; removing the rule (after a
    confirmation) sends the next mail to the undistributed queue."""
    first = arrive(world, 1)
    assert first.route == Mail.Route.UNDISTRIBUTED

    response = boss.post(reverse(URL), {"address": " Buyer@NewTrade.example ", "employee": world["lily"].pk},
                         follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert f"Mail from {STRANGER} will go to 李丽." in response.content.decode()
    assert AddressRule.objects.get().address == STRANGER
    second = arrive(world, 2)
    assert (second.route, receivers(second)) == (Mail.Route.RULE, ["0002"])

    response = boss.post(reverse(URL), {"address": STRANGER, "employee": world["tom"].pk}, follow=True,
                         HTTP_ACCEPT_LANGUAGE="en")
    assert f"Mail from {STRANGER} now goes to Tom instead of 李丽." in response.content.decode()
    third = arrive(world, 3)
    assert (third.route, receivers(third)) == (Mail.Route.RULE, ["0003"])
    assert receivers(second) == ["0002"]  # MAIL-15: mail already distributed is moved with QUE-10, not here

    asked = boss.post(reverse(URL), {"address": STRANGER, "employee": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert asked.status_code == 200
    assert "Remove the rule for buyer@newtrade.example? Its future mail goes to the undistributed queue " \
           "instead of Tom." in asked.content.decode()
    assert AddressRule.objects.exists()
    response = boss.post(reverse(URL), {"address": STRANGER, "employee": "", "confirmed": "1"}, follow=True,
                         HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert html.count(f"Automatic distribution of {STRANGER} is removed: its future mail goes to the "
                      "undistributed queue.") == 1
    assert not AddressRule.objects.exists()
    fourth = arrive(world, 4)
    assert (fourth.route, receivers(fourth)) == (Mail.Route.UNDISTRIBUTED, [])


def test_removing_an_address_without_a_rule_says_so(world, boss):
    """MAIL-14: "Remove" for an address that has no rule changes nothing and says why."""
    response = boss.post(reverse(URL), {"address": STRANGER, "employee": "", "confirmed": "1"},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert f"{STRANGER} has no distribution rule: its mail already goes to the undistributed queue." \
        in response.content.decode()


def test_a_customers_address_gets_a_warning(world, boss):
    """MAIL-14, MAIL-01: a customer's own address routes to the owners first; the screen says so."""
    response = boss.post(reverse(URL), {"address": "info@hanse.de", "employee": world["tom"].pk}, follow=True,
                         HTTP_ACCEPT_LANGUAGE="en")
    assert "info@hanse.de belongs to the customer C0012 Hanse Trade" in response.content.decode()


def test_only_salespeople_still_working_can_be_chosen(world, boss):
    """MAIL-14, GEN-06: the target list holds active salespeople; a left one is refused."""
    world["tom"].status = Employee.Status.LEFT
    world["tom"].save()
    page = boss.get(reverse(URL), HTTP_ACCEPT_LANGUAGE="en")
    choices = [str(value) for value, _label in page.context["form"].fields["employee"].choices]
    assert str(world["lily"].pk) in choices
    assert str(world["tom"].pk) not in choices
    assert "Remove" in page.content.decode()
    response = boss.post(reverse(URL), {"address": STRANGER, "employee": world["tom"].pk})
    assert response.status_code == 200
    assert not AddressRule.objects.exists()


def test_the_rule_list_searches_sorts_and_pages(world, boss):
    """MAIL-14 (list inferred), GEN-03: the rules can be searched by address or salesperson, sorted and paged."""
    AddressRule.objects.bulk_create(
        [AddressRule(address=f"buyer{n:02d}@list.example", employee=world["lily"]) for n in range(30)]
        + [AddressRule(address="agent@other.example", employee=world["tom"])])
    Account.objects.filter(username="boss").update(page_size=25)
    first = boss.get(reverse(URL))
    assert first.context["listing"].page.paginator.count == 31
    assert len(first.context["listing"].page.object_list) == 25
    second = boss.get(reverse(URL), {"page": 2})
    assert len(second.context["listing"].page.object_list) == 6
    found = boss.get(reverse(URL), {"q": "Tom"})
    assert [r.address for r in found.context["listing"].page] == ["agent@other.example"]
    by_salesperson = boss.get(reverse(URL), {"sort": "-employee"})
    assert by_salesperson.context["listing"].page[0].employee == world["tom"]
    prefilled = boss.get(reverse(URL), {"address": "agent@other.example"}).content.decode()
    assert 'value="agent@other.example"' in prefilled
