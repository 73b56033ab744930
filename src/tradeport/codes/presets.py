"""Preset code groups and items (CODE-02), in Chinese and English."""

from django.utils.translation import gettext_noop

from tradeport.codes.models import CodeGroup, CodeItem

# (key, Chinese, English, used by, has reminder days, items as (code, zh, en[, reminder days])).
# "Used by" is stored in English and shown in the reader's language (CodeGroup.used_by).
GROUPS = (
    ("customer_type", "客户类型", "Customer type", gettext_noop("Customer form, queries, statistics"), False, (
        ("IMP", "进口商", "Importer"), ("WHS", "批发商", "Wholesaler"), ("RET", "零售商", "Retailer"),
        ("DIS", "分销商", "Distributor"), ("MFR", "生产商", "Manufacturer"), ("AGT", "贸易代理", "Trading agent"),
    )),
    ("customer_level", "客户级别", "Customer level", gettext_noop("Customer form, queries, reminder days"), True, (
        ("A", "A 级（重点）", "A (key account)", 7), ("B", "B 级", "B", 14), ("C", "C 级", "C", 30),
        ("D", "D 级（潜在）", "D (prospect)", 60),
    )),
    ("customer_source", "客户来源", "Customer source", gettext_noop("Customer form, queries, statistics"), False, (
        ("FAIR", "展会", "Trade fair"), ("WEB", "公司网站", "Website"), ("B2B", "B2B 平台", "B2B platform"),
        ("REF", "客户介绍", "Referral"), ("SEO", "搜索引擎", "Search engine"), ("OTH", "其他", "Other"),
    )),
    ("industry", "客户行业", "Industry", gettext_noop("Customer form, category search, statistics"), False, (
        ("TEX", "纺织服装", "Textiles and apparel"), ("MAC", "机械设备", "Machinery"),
        ("ELE", "电子电器", "Electronics and appliances"), ("CHE", "化工", "Chemicals"),
        ("HOM", "家居用品", "Home goods"), ("HAR", "五金工具", "Hardware and tools"),
    )),
    ("product", "经营产品", "Products", gettext_noop("Customer form, mail reading, contact input, statistics"), False, (
        ("P01", "服装", "Garments"), ("P02", "鞋类", "Footwear"), ("P03", "箱包", "Bags and luggage"),
        ("P04", "家具", "Furniture"), ("P05", "灯具", "Lighting"), ("P06", "五金配件", "Hardware fittings"),
    )),
    ("contact_purpose", "联系目的", "Contact purpose", gettext_noop("Mail reading, reply form, contact input"), False, (
        ("INQ", "询盘", "Inquiry"), ("QUO", "报价", "Quotation"), ("SMP", "样品", "Sample"),
        ("ORD", "订单", "Order"), ("PAY", "付款", "Payment"), ("AFS", "售后", "After-sales"),
        ("GRT", "问候", "Greeting"),
    )),
    ("followup_method", "跟进方式", "Follow-up method", gettext_noop("Contact input"), False, (
        ("EMAIL", "电子邮件", "Email"), ("FAX", "传真", "Fax"), ("PHONE", "电话", "Phone"),
        ("IM", "即时通讯", "Chat/IM"), ("VISIT", "拜访", "Visit"), ("OTHER", "其他", "Other"),
    )),
    ("contact_direction", "联系方向", "Contact direction", gettext_noop("Contact input"), False, (
        ("IN", "来电/来函（客户→我方）", "Incoming (customer → us)"),
        ("OUT", "去电/去函（我方→客户）", "Outgoing (us → customer)"),
    )),
    ("category", "类别", "Category", gettext_noop("Mail reading, contact input, follow-up record"), False, (
        ("GEN", "一般", "General"), ("INQ", "询盘", "Inquiry"), ("QUO", "报价", "Quotation"),
        ("ORD", "订单", "Order"), ("CMP", "投诉", "Complaint"),
    )),
)


def load_codes() -> None:
    """Create the preset groups and their items where missing; never overwrite edits."""
    for order, (key, zh, en, used_by, has_days, items) in enumerate(GROUPS):
        group, _ = CodeGroup.objects.get_or_create(
            key=key, defaults={"name_zh": zh, "name_en": en, "description": used_by,
                               "has_reminder_days": has_days, "sort_order": order},
        )
        for position, item in enumerate(items):
            code, item_zh, item_en, *days = item
            CodeItem.objects.get_or_create(
                group=group, code=code,
                defaults={"name_zh": item_zh, "name_en": item_en, "sort_order": position * 10,
                          "reminder_days": days[0] if days else None},
            )
