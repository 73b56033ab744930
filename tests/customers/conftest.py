"""Shared fixtures for the customer and ownership tests (CUST-01..22, OWN-01..24, PERM-13).

A small world built by hand: one department with four salespeople (one of them
left), one employee who is not a salesperson, accounts linked to the
salespeople by employee code, and a few regions in two branches.
"""

import pytest
from django.test import Client

from conftest import make_account, sign_in
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.codes.presets import GROUPS as PRESET_GROUPS
from tradeport.customers import services
from tradeport.customers.models import Contact, Customer
from tradeport.org import services as org_services
from tradeport.org.models import Department, Employee, Region
from tradeport.system.models import SystemOption


@pytest.fixture(autouse=True)
def english(settings):
    """English UI text, so the tests can read messages."""
    settings.LANGUAGE_CODE = "en"


def set_option(key: str, value) -> None:
    SystemOption.objects.update_or_create(key=key, defaults={"value": value})


def strict() -> None:
    set_option("ownership_mode", "strict")


@pytest.fixture
def department(db) -> Department:
    return org_services.department_save(department=Department(code="01", name="外贸部"), parent=None)


def make_employee(code: str, name: str, department: Department, **fields) -> Employee:
    fields.setdefault("is_salesperson", True)
    return org_services.employee_save(employee=Employee(code=code, name=name, department=department, **fields))


@pytest.fixture
def staff(department) -> dict[str, Employee]:
    return {
        "zhang": make_employee("E01", "张三", department),
        "li": make_employee("E02", "李四", department),
        "wang": make_employee("E03", "王五", department),
        "clerk": make_employee("E04", "赵六", department, is_salesperson=False),
        "gone": make_employee("E05", "孙七", department, status=Employee.Status.LEFT),
    }


@pytest.fixture
def people(staff) -> dict:
    """Employee-template accounts linked to the salespeople 张三 (E01), 李四 (E02) and 王五 (E03)."""
    return {
        "zhang": make_account("zhang", template=EMPLOYEE_TEMPLATE, employee_code="E01", employee_name="张三"),
        "li": make_account("li", template=EMPLOYEE_TEMPLATE, employee_code="E02", employee_name="李四"),
        "wang": make_account("wang", template=EMPLOYEE_TEMPLATE, employee_code="E03", employee_name="王五"),
    }


@pytest.fixture
def users(people, manager, admin_account, outsider) -> dict:
    """Roles for check_matrix: 'owner' owns the customers the tests make, 'other' does not."""
    return {"anonymous": None, "outsider": outsider, "owner": people["zhang"], "other": people["li"],
            "salesperson": people["zhang"], "manager": manager, "admin": admin_account}


def client_for(account) -> Client:
    return sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), account)


def make_region(code: str, name_zh: str, name_en: str, level: int, parent: Region | None = None,
                time_zones=()) -> Region:
    return org_services.region_save(
        region=Region(code=code, name_zh=name_zh, name_en=name_en, level=level, time_zones=list(time_zones)),
        parent=parent)


@pytest.fixture
def world(db) -> dict[str, Region]:
    """Asia → China → Zhejiang → Hangzhou → Xihu District (and Ningbo); Europe → Germany → Bavaria → Munich."""
    L = Region.Level
    asia = make_region("X-AS", "亚洲", "Asia", L.CONTINENT)
    china = make_region("X-CN", "中国", "China", L.COUNTRY, asia, ["Asia/Shanghai", "Asia/Urumqi"])
    zhejiang = make_region("X-ZJ", "浙江省", "Zhejiang", L.PROVINCE, china)
    hangzhou = make_region("X-HZ", "杭州市", "Hangzhou", L.CITY, zhejiang)
    xihu = make_region("X-XH", "西湖区", "Xihu District", L.DISTRICT, hangzhou)
    ningbo = make_region("X-NB", "宁波市", "Ningbo", L.CITY, zhejiang)
    europe = make_region("X-EU", "欧洲", "Europe", L.CONTINENT)
    germany = make_region("X-DE", "德国", "Germany", L.COUNTRY, europe, ["Europe/Berlin"])
    bavaria = make_region("X-BY", "巴伐利亚州", "Bavaria", L.PROVINCE, germany)
    munich = make_region("X-MUC", "慕尼黑", "Munich", L.CITY, bavaria)
    atlantis = make_region("X-AT", "亚特兰蒂斯", "Atlantis", L.CONTINENT)
    return {"asia": asia, "china": china, "zhejiang": zhejiang, "hangzhou": hangzhou, "xihu": xihu,
            "ningbo": ningbo, "europe": europe, "germany": germany, "bavaria": bavaria, "munich": munich,
            "atlantis": atlantis}


CUSTOMER_CODE_GROUPS = ("customer_type", "customer_level", "customer_source", "industry", "product")


@pytest.fixture
def codes(db):
    """The preset customer type, level, source, industry and product codes (the groups the customer form uses)."""
    for order, (key, zh, en, used_by, has_days, items) in enumerate(PRESET_GROUPS):
        if key not in CUSTOMER_CODE_GROUPS:
            continue
        group = CodeGroup.objects.create(key=key, name_zh=zh, name_en=en, description=used_by,
                                         has_reminder_days=has_days, sort_order=order)
        CodeItem.objects.bulk_create([
            CodeItem(group=group, code=code, name_zh=item_zh, name_en=item_en, sort_order=position * 10,
                     reminder_days=days[0] if days else None)
            for position, (code, item_zh, item_en, *days) in enumerate(items)])

    def code(group: str, key: str) -> CodeItem:
        return CodeItem.objects.of(group).get(code=key)

    return code


def make_customer(name: str, region: Region, *, owners=(), actor=None, contacts=(), backups=(),
                  products=None, **fields) -> Customer:
    """A customer written through the service, as the form would."""
    customer = Customer(name=name, region=region, backup_emails=list(backups), **fields)
    return services.customer_save(customer=customer, contacts=[Contact(**c) for c in contacts],
                                  products=products, owners=list(owners) or None, actor=actor)


def current_owner_codes(customer: Customer) -> list[str]:
    return sorted(customer.ownerships.current().values_list("employee__code", flat=True))


def listed_codes(response) -> list[str]:
    return sorted(c.code for c in response.context["listing"].page)


def form_data(region: Region | None, *, contacts=(), existing=None, **fields) -> dict:
    """POST data for the customer form and its contact formset.

    `contacts` are dicts of contact fields; on a modify form pass `existing`
    (the customer) and give existing contacts an "id".
    """
    data = {"kind": "customer", "name": "", "mnemonic": "", "region": region.pk if region else "",
            "main_email": "", "backup_emails_text": "", "phone": "", "fax": "", "website": "",
            "address": "", "remarks": ""}
    data.update(fields)
    initial = sum(1 for c in contacts if c.get("id"))
    data.update({"contacts-TOTAL_FORMS": str(len(contacts)), "contacts-INITIAL_FORMS": str(initial),
                 "contacts-MIN_NUM_FORMS": "0", "contacts-MAX_NUM_FORMS": "1000"})
    for index, contact in enumerate(contacts):
        for key, value in contact.items():
            data[f"contacts-{index}-{key}"] = value
        if existing is not None:
            data[f"contacts-{index}-customer"] = existing.pk
    return {k: v for k, v in data.items() if v is not None}
