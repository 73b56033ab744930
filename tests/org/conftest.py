"""Shared fixtures for the organisation tests (ORG-01..18, GEN-06)."""

import pytest

from tradeport.org import services
from tradeport.org.models import Department, Employee, Region


@pytest.fixture(autouse=True)
def english(settings):
    """English UI text unless a request asks for Chinese with Accept-Language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def manager_client(client, manager, signed_in):
    return signed_in(client, manager)


@pytest.fixture
def make_department(db):
    def make(code: str, name: str, parent: Department | None = None, **fields) -> Department:
        return services.department_save(department=Department(code=code, name=name, **fields), parent=parent)

    return make


@pytest.fixture
def make_employee(db):
    def make(code: str, name: str, department: Department, **fields) -> Employee:
        return services.employee_save(employee=Employee(code=code, name=name, department=department, **fields))

    return make


@pytest.fixture
def make_region(db):
    def make(code: str, name_zh: str, name_en: str, level: int, parent: Region | None = None,
             time_zones=(), **fields) -> Region:
        region = Region(code=code, name_zh=name_zh, name_en=name_en, level=level,
                        time_zones=list(time_zones), **fields)
        return services.region_save(region=region, parent=parent)

    return make


@pytest.fixture
def small_world(make_region):
    """A hand-built corner of the region tree: Europe → Germany → Bavaria → Munich, Asia → China."""
    europe = make_region("X-EU", "欧洲", "Europe", Region.Level.CONTINENT)
    germany = make_region("X-DE", "德国", "Germany", Region.Level.COUNTRY, europe, ["Europe/Berlin"])
    bavaria = make_region("X-BY", "巴伐利亚州", "Bavaria", Region.Level.PROVINCE, germany)
    munich = make_region("X-MUC", "慕尼黑", "Munich", Region.Level.CITY, bavaria)
    asia = make_region("X-AS", "亚洲", "Asia", Region.Level.CONTINENT)
    china = make_region("X-CN", "中国", "China", Region.Level.COUNTRY, asia, ["Asia/Shanghai", "Asia/Urumqi"])
    return {"europe": europe, "germany": germany, "bavaria": bavaria, "munich": munich,
            "asia": asia, "china": china}


