"""Correct the Chinese names of preset countries that came misspelt from pycountry (马尔他 → 马耳他).

Only preset regions that still carry the old name change: a name someone edited stays.
Safe to run again; reversing it restores the old names.
"""

from django.db import migrations

# code: (old name, CLDR name), as org.region_data now builds them.
CORRECTIONS = {
    "BV": ("布维群岛", "布韦岛"),
    "GS": ("南乔治亚和南桑德韦奇群岛", "南乔治亚和南桑威奇群岛"),
    "GT": ("瓜地马拉", "危地马拉"),
    "IM": ("曼岛", "马恩岛"),
    "KG": ("吉尔吉斯坦", "吉尔吉斯斯坦"),
    "KH": ("柬埔塞", "柬埔寨"),
    "MT": ("马尔他", "马耳他"),
    "PF": ("法属玻利尼西亚", "法属波利尼西亚"),
    "TT": ("特里尼达和多巴哥", "特立尼达和多巴哥"),
}


def _rename(apps, old_index: int, new_index: int) -> None:
    region = apps.get_model("org", "Region")
    for code, names in CORRECTIONS.items():
        region.objects.filter(code=code, is_preset=True, name_zh=names[old_index]).update(name_zh=names[new_index])


def correct(apps, schema_editor):
    _rename(apps, 0, 1)


def restore(apps, schema_editor):
    _rename(apps, 1, 0)


class Migration(migrations.Migration):

    dependencies = [("org", "0005_department_name_label")]

    operations = [migrations.RunPython(correct, restore)]
