"""Regions on a small hand-built tree (ORG-15, ORG-17, ORG-18): pages, add, modify, delete, time zones."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matrix import check_matrix
from org.referrer import refer_to
from tradeport.audit.models import OperationLogEntry
from tradeport.org import services
from tradeport.org.models import Region
from tradeport.system.usage import references

pytestmark = pytest.mark.django_db
Level = Region.Level


def region_data(parent, **overrides) -> dict:
    data = {"code": "X-FRA", "name_zh": "法兰克福", "name_en": "Frankfurt", "level": str(Level.CITY),
            "parent": parent.pk if parent else "", "sort_order": "0", "time_zones_text": ""}
    data.update(overrides)
    return data


def fresh(region: Region) -> Region:
    return Region.objects.get(pk=region.pk)


# Permission matrix (GEN-01) ---------------------------------------------------------

@pytest.mark.parametrize("name", ["region_list", "region_create", "region_update", "region_children",
                                  "region_delete"])
def test_every_region_page_needs_the_regions_function(roles, small_world, name):
    """ORG-15..18, GEN-01: region pages need fn_regions; salespeople and outsiders get 403."""
    args = [] if name in ("region_list", "region_create") else [small_world["germany"].pk]
    check_matrix(reverse(f"org:{name}", args=args), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_a_refused_region_post_changes_nothing(client, salesperson, signed_in, small_world):
    """GEN-01, ORG-17, ORG-18: a salesperson's direct POSTs to add or delete a region are refused."""
    signed_in(client, salesperson)
    assert client.post(reverse("org:region_create"), region_data(small_world["germany"])).status_code == 403
    munich = small_world["munich"]
    assert client.post(reverse("org:region_delete", args=[munich.pk])).status_code == 403
    assert Region.objects.count() == 6


# The tree (ORG-15) ------------------------------------------------------------------

def test_paths_follow_the_tree(small_world):
    """ORG-15: continent → country → province → city, with the materialised path of each."""
    europe, germany, bavaria, munich = (small_world[k] for k in ("europe", "germany", "bavaria", "munich"))
    assert munich.ancestors() == [europe, germany, bavaria]
    assert munich.path == f"{europe.pk:08d}/{germany.pk:08d}/{bavaria.pk:08d}/{munich.pk:08d}/"
    assert set(Region.objects.subtree(germany)) == {germany, bavaria, munich}
    assert set(Region.objects.roots()) == {europe, small_world["asia"]}


def test_a_region_inherits_time_zones_from_its_nearest_ancestor(small_world, make_region):
    """ORG-15: a node without zones of its own shows its country's; its own zones win."""
    assert small_world["munich"].effective_time_zones() == ["Europe/Berlin"]
    assert small_world["bavaria"].effective_time_zones() == ["Europe/Berlin"]
    assert small_world["china"].effective_time_zones() == ["Asia/Shanghai", "Asia/Urumqi"]
    assert small_world["europe"].effective_time_zones() == []
    kashgar = make_region("X-KSG", "喀什", "Kashgar", Level.CITY, small_world["china"], ["Asia/Urumqi"])
    assert kashgar.effective_time_zones() == ["Asia/Urumqi"]


def test_region_list_shows_the_selected_path_and_time_zones(manager_client, small_world):
    """ORG-15: selecting a region shows its full path and its effective time zones, marked as inherited."""
    munich = small_world["munich"]
    response = manager_client.get(reverse("org:region_list"), {"selected": munich.pk})
    html = response.content.decode()
    assert "Europe / Germany / Bavaria / Munich" in html
    assert '<dd class="col-8" id="region-time-zones"><code>Europe/Berlin</code> ' in html
    assert "(from the parent region)" in html
    assert response.context["open_ids"] == {small_world["europe"].pk, small_world["germany"].pk,
                                            small_world["bavaria"].pk}
    assert f'{reverse("org:region_create")}?parent={munich.pk}' in html


def test_region_list_speaks_chinese_to_a_chinese_browser(manager_client, small_world):
    """ORG-15, ORG-16: with Chinese, the tree and path use the Chinese names (欧洲, 德国)."""
    germany = small_world["germany"]
    html = manager_client.get(reverse("org:region_list"), {"selected": germany.pk},
                              HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "欧洲 / 德国" in html
    assert "区域设置" in html
    assert "Germany" in html  # the English name is still shown as a field


def test_region_children_lists_the_children_with_expanders(manager_client, small_world):
    """ORG-15: expanding a node fetches its children; a child with children of its own can expand again."""
    response = manager_client.get(reverse("org:region_children", args=[small_world["europe"].pk]))
    html = response.content.decode()
    assert 'data-region="X-DE"' in html
    assert 'data-region="X-CN"' not in html
    assert reverse("org:region_children", args=[small_world["germany"].pk]) in html
    leaf = manager_client.get(reverse("org:region_children", args=[small_world["bavaria"].pk])).content.decode()
    assert 'data-region="X-MUC"' in leaf
    assert reverse("org:region_children", args=[small_world["munich"].pk]) not in leaf


def test_the_tree_opens_down_to_a_deeply_selected_region(manager_client, small_world):
    """ORG-15: with a city selected, every ancestor in the tree opens by itself, not only the continent.

    region_list marks the continent to load its children at once (hx-trigger "load") and passes the open
    path along as ?open=; the children it loads must in turn open the country, then the province.
    """
    munich = small_world["munich"]
    page = manager_client.get(reverse("org:region_list"), {"selected": munich.pk}).content.decode()
    assert 'hx-trigger="load, click once"' in page
    open_ids = ",".join(str(small_world[k].pk) for k in ("europe", "germany", "bavaria"))
    children = manager_client.get(reverse("org:region_children", args=[small_world["europe"].pk]),
                                  {"open": open_ids, "selected": munich.pk}).content.decode()
    germany_node = children[children.index('data-region="X-DE"'):]
    assert 'hx-trigger="load, click once"' in germany_node, "Germany is not opened on the way to Munich"


@pytest.mark.parametrize(("query", "code"), [("德国", "X-DE"), ("germ", "X-DE"), ("x-muc", "X-MUC"),
                                             ("慕尼", "X-MUC")])
def test_region_search_by_chinese_english_name_or_code(manager_client, small_world, query, code):
    """ORG-15: the region search matches the Chinese name, the English name, or the exact code."""
    response = manager_client.get(reverse("org:region_list"), {"q": query})
    assert [r.code for r in response.context["found"]] == [code]
    assert 'id="region-search-results"' in response.content.decode()


def test_region_search_does_not_match_partial_codes(manager_client, small_world):
    """ORG-15: codes match exactly, so "X-" does not list everything."""
    response = manager_client.get(reverse("org:region_list"), {"q": "X-"})
    assert list(response.context["found"]) == []
    assert "No region matches." in response.content.decode()


def test_children_sort_by_pinyin_in_chinese_and_alphabetically_in_english(manager_client, small_world,
                                                                        make_region):
    """ORG-15: siblings sort as the reader looks them up: by pinyin in Chinese, by name in English."""
    make_region("X-JP", "日本", "Japan", Level.COUNTRY, small_world["asia"])
    make_region("X-AF", "阿富汗", "Afghanistan", Level.COUNTRY, small_world["asia"])
    url = reverse("org:region_children", args=[small_world["asia"].pk])

    def order(html):
        return sorted(("X-AF", "X-CN", "X-JP"), key=lambda code: html.index(f'data-region="{code}"'))

    assert order(manager_client.get(url).content.decode()) == ["X-AF", "X-CN", "X-JP"]  # Afghanistan, China, Japan
    zh = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert order(zh) == ["X-AF", "X-JP", "X-CN"]  # a fu han, ri ben, zhong guo


# Add (ORG-17) -----------------------------------------------------------------------

def test_add_region_form_starts_below_the_selected_parent(manager_client, small_world):
    """ORG-17: [Add region] under a country pre-fills the parent (shown by its path) and the next level."""
    germany = small_world["germany"]
    response = manager_client.get(reverse("org:region_create"), {"parent": germany.pk})
    form = response.context["form"]
    assert form["parent"].value() == germany.pk
    assert form["level"].value() == Level.PROVINCE
    html = response.content.decode()
    assert 'value="Europe / Germany"' in html
    assert f'name="parent" id="id_parent" value="{germany.pk}"' in html


def test_add_a_city_under_a_country_with_the_region_picker_field(manager_client, small_world):
    """ORG-17: a city may sit directly under its country; the picker's hidden `parent` field places it."""
    germany = small_world["germany"]
    response = manager_client.post(reverse("org:region_create"), region_data(germany), follow=True)
    city = Region.objects.get(code="X-FRA")
    assert response.redirect_chain[-1][0] == f"{reverse('org:region_list')}?selected={city.pk}"
    assert "Region Frankfurt saved." in response.content.decode()
    assert (city.parent, city.level, city.name_zh, city.name_en, city.time_zones) == (
        germany, Level.CITY, "法兰克福", "Frankfurt", [])
    assert city.path == f"{germany.path}{city.pk:08d}/"
    assert city.effective_time_zones() == ["Europe/Berlin"]
    assert not city.is_preset


def test_add_a_continent_without_a_parent(manager_client):
    """ORG-17: with no parent the new region is a root."""
    manager_client.post(reverse("org:region_create"),
                        region_data(None, code="X-OC", name_zh="大洋洲", name_en="Oceania", level=str(Level.CONTINENT)))
    oceania = Region.objects.get(code="X-OC")
    assert oceania.parent is None
    assert oceania.path == f"{oceania.pk:08d}/"


def test_time_zones_are_stored_one_per_line(manager_client, small_world):
    """ORG-15, ORG-17: a region carries its IANA time zones, entered one per line."""
    manager_client.post(reverse("org:region_create"), region_data(
        small_world["asia"], code="X-RU", name_zh="俄罗斯", name_en="Russia", level=str(Level.COUNTRY),
        time_zones_text="Europe/Moscow\r\n\r\n  Asia/Vladivostok  \r\n"))
    assert Region.objects.get(code="X-RU").time_zones == ["Europe/Moscow", "Asia/Vladivostok"]


def test_an_unknown_time_zone_is_refused_with_a_message(manager_client, small_world):
    """ORG-17: time zones must be IANA names; an unknown one is named in the error."""
    response = manager_client.post(reverse("org:region_create"), region_data(
        small_world["germany"], time_zones_text="Europe/Berlin\nMars/Olympus_Mons\nCET+1"))
    assert response.status_code == 200
    assert response.context["form"].errors["time_zones_text"] == ["Unknown time zone: Mars/Olympus_Mons, CET+1"]
    assert "Unknown time zone: Mars/Olympus_Mons, CET+1" in response.content.decode()
    assert not Region.objects.filter(code="X-FRA").exists()


@pytest.mark.parametrize("level", [Level.CONTINENT, Level.COUNTRY])
def test_a_region_must_sit_below_its_parent_level(manager_client, small_world, level):
    """ORG-17: a region at the same or a higher level than its parent is refused on the level field."""
    response = manager_client.post(reverse("org:region_create"),
                                   region_data(small_world["germany"], level=str(level)))
    assert response.status_code == 200
    assert response.context["form"].errors["level"] == [
        "A region must be at a lower level than its parent (Country)."]
    assert not Region.objects.filter(code="X-FRA").exists()


def test_duplicate_region_code_is_refused(manager_client, small_world):
    """ORG-17: region codes are unique."""
    response = manager_client.post(reverse("org:region_create"), region_data(small_world["germany"], code="X-MUC"))
    assert response.context["form"].errors["code"] == ["Another region already has this code."]


# Modify (ORG-18) --------------------------------------------------------------------

def test_modify_region_names_and_time_zones(manager_client, small_world):
    """ORG-18: [Modify] shows the current values, including the zones, and saves the changes."""
    germany = small_world["germany"]
    form = manager_client.get(reverse("org:region_update", args=[germany.pk])).context["form"]
    assert form["time_zones_text"].value() == "Europe/Berlin"
    response = manager_client.post(reverse("org:region_update", args=[germany.pk]), region_data(
        small_world["europe"], code="X-DE", name_zh="德意志", name_en="Deutschland", level=str(Level.COUNTRY),
        time_zones_text="Europe/Berlin\nEurope/Busingen"))
    assert response.status_code == 302
    germany = fresh(germany)
    assert (germany.name_zh, germany.name_en, germany.time_zones) == (
        "德意志", "Deutschland", ["Europe/Berlin", "Europe/Busingen"])
    assert fresh(small_world["munich"]).effective_time_zones() == ["Europe/Berlin", "Europe/Busingen"]


def test_moving_a_region_moves_its_subtree(manager_client, small_world):
    """ORG-18: a province moved to another country takes its cities along."""
    bavaria, munich, china = small_world["bavaria"], small_world["munich"], small_world["china"]
    response = manager_client.post(reverse("org:region_update", args=[bavaria.pk]), region_data(
        china, code="X-BY", name_zh="巴伐利亚州", name_en="Bavaria", level=str(Level.PROVINCE)))
    assert response.status_code == 302
    assert fresh(munich).ancestors() == [small_world["asia"], china, fresh(bavaria)]
    assert fresh(munich).effective_time_zones() == ["Asia/Shanghai", "Asia/Urumqi"]


def test_moving_a_region_under_its_own_descendant_is_refused(manager_client, small_world):
    """ORG-18: a region cannot be moved into its own subtree; nothing moves."""
    germany, munich = small_world["germany"], small_world["munich"]
    with pytest.raises(ValidationError):
        services.region_save(region=fresh(germany), parent=fresh(munich))
    response = manager_client.post(reverse("org:region_update", args=[germany.pk]), region_data(
        munich, code="X-DE", name_zh="德国", name_en="Germany", level=str(Level.DISTRICT)))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert fresh(germany).parent == small_world["europe"]
    assert fresh(munich).ancestors()[1] == germany


def test_a_region_cannot_drop_below_the_level_of_its_children(manager_client, small_world):
    """ORG-15, ORG-18: modifying a country to "city" level while it holds provinces is refused.

    region_save checks the new level only against the parent; children left at a level above
    their own parent break the continent → country → province → city order of the tree.
    """
    germany = small_world["germany"]
    response = manager_client.post(reverse("org:region_update", args=[germany.pk]), region_data(
        small_world["europe"], code="X-DE", name_zh="德国", name_en="Germany", level=str(Level.CITY),
        time_zones_text="Europe/Berlin"))
    assert response.status_code == 200, "a country with provinces was moved down to city level"
    assert response.context["form"].errors
    assert fresh(germany).level == Level.COUNTRY


# Delete (ORG-18) --------------------------------------------------------------------

def test_delete_is_refused_while_the_region_has_children(manager_client, small_world):
    """ORG-18: a region with child regions cannot be deleted and the user is told why."""
    germany = small_world["germany"]
    response = manager_client.post(reverse("org:region_delete", args=[germany.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('org:region_list')}?selected={germany.pk}"
    assert "Germany still has sub-regions. Delete them first." in response.content.decode()
    assert Region.objects.filter(pk=germany.pk).exists()


def test_delete_is_refused_while_a_record_uses_the_region(manager_client, small_world):
    """ORG-18: a region that customers refer to cannot be deleted; the message names them."""
    munich = small_world["munich"]
    refer_to(region=munich)
    response = manager_client.post(reverse("org:region_delete", args=[munich.pk]), follow=True)
    assert "Munich is in use by customers (1) and cannot be deleted." in response.content.decode()
    assert Region.objects.filter(pk=munich.pk).exists()


def test_delete_a_leaf_region(manager_client, small_world):
    """ORG-18: a leaf nothing refers to is deleted after confirmation; the page returns to its parent."""
    munich, bavaria = small_world["munich"], small_world["bavaria"]
    assert "Delete region Munich?" in manager_client.get(
        reverse("org:region_delete", args=[munich.pk])).content.decode()
    response = manager_client.post(reverse("org:region_delete", args=[munich.pk]))
    assert response["Location"] == f"{reverse('org:region_list')}?selected={bavaria.pk}"
    assert not Region.objects.filter(pk=munich.pk).exists()
    # Bavaria is now a leaf and can go as well.
    manager_client.post(reverse("org:region_delete", args=[bavaria.pk]))
    assert not Region.objects.filter(pk=bavaria.pk).exists()


def test_references_counts_child_regions(small_world):
    """ORG-18: system.usage.references() sees child regions, and records once they exist."""
    germany, munich = small_world["germany"], small_world["munich"]
    assert references(germany) == [("regions", 1)]
    assert references(germany, ignore=("children",)) == []
    assert references(munich) == []
    refer_to(region=munich)
    assert references(munich) == [("customers", 1)]


# Operation log (GEN-05) -------------------------------------------------------------

def test_creating_and_modifying_a_region_is_in_the_operation_log(manager_client, manager, small_world):
    """GEN-05, ORG-17, ORG-18: a new region logs its values; a change logs before and after."""
    germany = small_world["germany"]
    manager_client.post(reverse("org:region_create"), region_data(germany, time_zones_text="Europe/Berlin"))
    city = Region.objects.get(code="X-FRA")
    created = OperationLogEntry.objects.get(object_type="org.region", object_id=str(city.pk),
                                            action=OperationLogEntry.Action.CREATE)
    assert (created.module, created.username) == ("org", manager.username)
    assert created.changes["code"] == [None, "X-FRA"]
    assert created.changes["name_zh"] == [None, "法兰克福"]
    assert created.changes["parent"] == [None, germany.pk]
    assert created.changes["time_zones"] == [None, ["Europe/Berlin"]]
    assert "path" not in created.changes

    manager_client.post(reverse("org:region_update", args=[city.pk]),
                        region_data(germany, name_en="Frankfurt am Main", time_zones_text=""))
    modified = OperationLogEntry.objects.get(object_type="org.region", object_id=str(city.pk),
                                             action=OperationLogEntry.Action.UPDATE)
    assert modified.changes == {"name_en": ["Frankfurt", "Frankfurt am Main"],
                                "time_zones": [["Europe/Berlin"], []]}
