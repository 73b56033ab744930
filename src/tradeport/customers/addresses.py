"""Email address normalisation for the one address index (CUST-05..07, MAIL-01)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Public mailbox providers: a shared domain says nothing about the company (duplicate check).
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "yahoo.co.uk", "yahoo.co.jp", "yahoo.com.hk", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net",
    "web.de", "mail.ru", "yandex.ru", "proton.me", "protonmail.com", "zoho.com",
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com",
    "139.com", "189.cn", "aliyun.com", "tom.com", "21cn.com", "naver.com", "daum.net", "hanmail.net",
})


def normalise(address: str) -> str:
    """Lower-case, trimmed, with an internationalised domain in its ASCII (IDNA) form.

    Raises ValidationError with a message naming the address when it is not one.
    """
    cleaned = address.strip().strip("<>").strip()
    if "@" not in cleaned:
        raise ValidationError(_("%(address)s is not an email address.") % {"address": address.strip()})
    local, _at, domain = cleaned.rpartition("@")
    try:
        domain = domain.strip().rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("%(address)s has an invalid domain.") % {"address": address.strip()}) from None
    normalised = f"{local.strip()}@{domain}".lower()
    try:
        validate_email(normalised)
    except ValidationError:
        raise ValidationError(_("%(address)s is not an email address.") % {"address": address.strip()}) from None
    return normalised


def split_list(raw: str) -> list[str]:
    """Addresses typed separated by ';' (or ',', or new lines), normalised, without repeats."""
    seen: list[str] = []
    for part in raw.replace(",", ";").replace("\n", ";").split(";"):
        if part.strip():
            address = normalise(part)
            if address not in seen:
                seen.append(address)
    return seen


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def is_free_mail(domain: str) -> bool:
    return domain.lower() in FREE_MAIL_DOMAINS
