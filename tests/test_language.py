"""One language on every page (GEN-01): Chinese in the words the manual uses (账号, 您, 惯用语, 正常),
with no Django stock phrase, no English preset text and no odd time format in between."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils.translation import trans_real

from conftest import make_account, sign_in
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.services import template_reset

CATALOGUE = Path(__file__).resolve().parent.parent / "src/tradeport/locale/zh_Hans/LC_MESSAGES/django.po"
# Words the Chinese interface does not use, and what it says instead.
NOT_OUR_WORDS = {"帐号": "账号", "帐户": "账号", "你": "您", "常用语": "惯用语", "马尔他": "马耳他"}
DJANGO_STOCK = ("指明用户是否被认为是活跃的", "以反选代替删除帐号", "必填。150个字符或者更少",
                "已存在一位使用该名字的用户")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> gettext.GNUTranslations:
    """Tradeport's catalogue as msgfmt compiles it, checked for format errors."""
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (gettext) is needed to check the catalogue")
    target = tmp_path_factory.mktemp("catalogue") / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(target), str(CATALOGUE)], check=True,
                   capture_output=True, text=True)
    with target.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def chinese_texts(catalog) -> list[str]:
    return [text for key, text in catalog.items() if key and isinstance(text, str)]


# The catalogue --------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "ours"), NOT_OUR_WORDS.items())
def test_our_catalogue_uses_the_interface_words(compiled, word, ours):
    """GEN-01: no translation says 帐号, 你, 常用语 or 马尔他."""
    found = [text for text in chinese_texts(compiled._catalog) if word in text]
    assert found == [], f"use {ours}: {found[:5]}"


def test_the_words_the_issue_named_are_translated_as_the_manual_says(compiled):
    """PERS-07, SEND-06, MBOX-03: 惯用语 in the menu and in compose, 正常 as a status, 标题 for a phrase's title."""
    assert compiled.gettext("Common phrases") == "惯用语"
    assert compiled.gettext("Common phrases…") == "惯用语…"
    assert compiled.pgettext("status", "OK") == "正常"
    assert compiled.gettext("OK") == "确定"  # the button stays 确定
    assert compiled.pgettext("common phrase", "Title") == "标题"


def test_no_text_the_interface_can_show_addresses_the_user_as_你():
    """GEN-01: with Django's own catalogues merged in (ours first), no Chinese text says 你 or 帐号."""
    catalog = trans_real.translation("zh-hans")._catalog
    shown = {key: catalog[key] for key in set(catalog.keys())}  # the text that wins for each key
    found = {key: text for key, text in shown.items() if isinstance(text, str) and ("你" in text or "帐号" in text)}
    assert found == {}


# Pages -------------------------------------------------------------------------------------------

@pytest.fixture
def zh():
    def client_for(account) -> Client:
        return sign_in(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), account)
    return client_for


def assert_our_words(html: str) -> None:
    for phrase in DJANGO_STOCK:
        assert phrase not in html, phrase
    for word in NOT_OUR_WORDS:
        assert word not in html, word


@pytest.mark.django_db
def test_the_account_form_has_our_help_texts(zh, admin_account, salesperson):
    """ACC-08, ACC-09, ACC-10: the account form explains itself in our words, not Django's."""
    console = zh(admin_account)
    for url in (reverse("console:account_create"), reverse("console:account_update", args=[salesperson.pk])):
        html = console.get(url).content.decode()
        assert_our_words(html)
        assert "停用的账号不能登录" in html
    taken = console.post(reverse("console:account_create"), {"username": "lily", "password1": "x", "password2": "x"})
    assert "已有其他账号使用此登录名。" in taken.content.decode()


@pytest.mark.django_db
def test_the_password_change_page_says_您(zh, salesperson):
    """PERS-04: the password rules and errors address the user as 您."""
    client = zh(salesperson)
    html = client.get(reverse("accounts:password_change")).content.decode()
    assert_our_words(html)
    assert "您的密码" in html
    wrong = client.post(reverse("accounts:password_change"), {
        "old_password": "not-it", "new_password1": "Quiet-River-77", "new_password2": "Quiet-River-77"})
    assert "您的旧密码不正确" in wrong.content.decode()


@pytest.mark.django_db
def test_the_menu_and_the_phrase_form_say_惯用语_and_标题(zh, salesperson):
    """PERS-07, SEND-06: the menu entry and the phrase page say 惯用语; the phrase's title is 标题, not 职务."""
    client = zh(salesperson)
    workbench = client.get(reverse("workbench")).content.decode()
    assert "惯用语" in workbench
    phrases = client.get(reverse("mail:phrase_list")).content.decode()
    assert_our_words(phrases)
    label = BeautifulSoup(phrases, "html.parser").find("label", attrs={"for": "id_title"})
    assert label.get_text(strip=True).rstrip("*").strip() == "标题"


@pytest.mark.django_db
def test_a_healthy_mailbox_is_正常(zh, manager):
    """MBOX-03: the mailbox list calls a mailbox without error 正常, not 确定."""
    from tradeport.mail.models import Mailbox

    Mailbox.objects.create(address="info@tradeport.test", protocol="none")
    html = zh(manager).get(reverse("mail:mailbox_list")).content.decode()
    state = BeautifulSoup(html, "html.parser").find(attrs={"data-state": "ok"})
    assert state.get_text(strip=True) == "正常"


@pytest.mark.django_db
def test_preset_texts_follow_the_readers_language(presets, manager):
    """CODE-02, ORG-01: code groups' 'used by' and the preset department's remark, stored in English,
    show in Chinese to a Chinese reader and in English to an English one."""
    from tradeport.org.models import Department

    department = Department.objects.get(code="01")
    client = sign_in(Client(), manager)

    def page(url: str, language: str) -> str:
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    codes = reverse("codes:group_list") + "?group=customer_type"
    assert "客户资料、查询、统计" in page(codes, "zh-hans")
    assert "Customer form, queries, statistics" not in page(codes, "zh-hans")
    assert "Customer form, queries, statistics" in page(codes, "en")
    departments = reverse("org:department_list") + f"?selected={department.pk}"
    assert "外贸部" in page(departments, "zh-hans")
    assert "Foreign Trade Department" not in page(departments, "zh-hans")
    assert "Foreign Trade Department" in page(departments, "en")
    form = client.get(reverse("org:department_update", args=[department.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").context["form"]
    assert form["remarks"].value() == "外贸部"


@pytest.mark.django_db
def test_malta_is_马耳他(db):
    """ORG-16: the preset country names are the mainland ones (马耳他, 柬埔寨), also after an upgrade."""
    import importlib

    from tradeport.org import region_data
    from tradeport.org.models import Region

    names = {spec.code: spec.name_zh for spec in region_data.build() if spec.level == 2}
    assert (names["MT"], names["KH"], names["GT"]) == ("马耳他", "柬埔寨", "危地马拉")
    old = Region.objects.create(code="MT", name_zh="马尔他", name_en="Malta", level=2, is_preset=True, path="x/")
    edited = Region.objects.create(code="KH", name_zh="柬埔寨王国", name_en="Cambodia", level=2, is_preset=True,
                                   path="y/")
    importlib.import_module("tradeport.org.migrations.0006_preset_country_names").correct(apps, None)
    old.refresh_from_db()
    edited.refresh_from_db()
    assert (old.name_zh, edited.name_zh) == ("马耳他", "柬埔寨王国")


@pytest.mark.django_db
def test_the_login_time_reads_plainly_in_english(salesperson):
    """GEN-02: 'Logged in at 2026-… 09:41.' in English, never 'a.m..'."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(reverse("accounts:login"), {"username": "lily", "password": "Sesame-2026"}).status_code == 302
    html = client.get(reverse("workbench")).content.decode()
    assert "a.m." not in html
    assert "p.m." not in html
    assert re.search(r"Logged in at \d{4}-\d\d-\d\d \d\d:\d\d\.", html)


@pytest.mark.django_db
def test_management_permissions_are_not_indented_under_one_another(zh, admin_account):
    """PERM-06, PERM-11: 全部客户及业务检查 stands beside 外网访问权限, not under it as if it depended on it."""
    account = make_account("wangwei", employee_name="王伟")
    template_reset(EMPLOYEE_TEMPLATE)
    soup = BeautifulSoup(zh(admin_account).get(reverse("console:account_permissions", args=[account.pk])).content,
                         "html.parser")
    external = soup.find(id="perm-external_access").parent
    inspection = soup.find(id="perm-all_customers_inspection").parent
    assert external.parent is inspection.parent
    assert inspection["class"] == external["class"]
    assert not [c for c in inspection["class"] if re.match(r"(ms|ps|ml|pl)-\d", c)]
