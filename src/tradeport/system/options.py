"""System options (ADM-02..05): typed, validated values with descriptions.

The registry below is the only list of options. A row in SystemOption exists
only once an administrator changes the default.
"""

import contextlib
import ipaddress
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
# Free mail services: a shared domain says nothing about which company wrote.
PUBLIC_MAIL_DOMAINS = [
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "aliyun.com",
    "139.com", "189.cn", "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "aol.com", "mail.ru", "yandex.ru", "gmx.de", "gmx.net",
    "web.de", "protonmail.com", "proton.me", "zoho.com", "naver.com", "daum.net", "rediffmail.com",
]
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


@dataclass(frozen=True)
class Option:
    key: str
    kind: str  # "int", "choice", "networks", "domains", "text"
    default: object
    label: str
    description: str
    unit: str = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def clean(self, raw: object) -> object:
        """Return the typed value, or raise ValidationError with a message the user can act on."""
        if self.kind == "int":
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ValidationError(_("Enter a whole number.")) from None
            if self.minimum is not None and value < self.minimum:
                raise ValidationError(_("The smallest allowed value is %(n)s.") % {"n": self.minimum})
            if self.maximum is not None and value > self.maximum:
                raise ValidationError(_("The largest allowed value is %(n)s.") % {"n": self.maximum})
            return value
        if self.kind == "choice":
            value = str(raw).strip()
            if value not in dict(self.choices):
                raise ValidationError(_("Choose one of the listed values."))
            return value
        if self.kind == "networks":
            items = raw if isinstance(raw, list) else str(raw).replace(",", "\n").splitlines()
            networks = []
            for item in (i.strip() for i in items):
                if not item:
                    continue
                try:
                    networks.append(str(ipaddress.ip_network(item, strict=False)))
                except ValueError:
                    raise ValidationError(
                        _("%(item)s is not an IP address or CIDR range (e.g. 192.168.1.0/24).") % {"item": item}
                    ) from None
            return networks
        if self.kind == "domains":
            items = raw if isinstance(raw, list) else str(raw).replace(",", "\n").split()
            domains = []
            for item in (i.strip().lower().lstrip("@") for i in items):
                if not item or item in domains:
                    continue
                with contextlib.suppress(UnicodeError):  # the pattern below then names the bad item
                    item = item.encode("idna").decode("ascii")
                if not DOMAIN.match(item):
                    raise ValidationError(_("%(item)s is not a domain name (e.g. gmail.com).") % {"item": item})
                domains.append(item)
            return domains
        value = str(raw).strip()
        if self.maximum is not None and len(value) > self.maximum:
            raise ValidationError(_("At most %(n)s characters.") % {"n": self.maximum})
        return value

    def display(self, value: object) -> str:
        if self.kind == "choice":
            return str(dict(self.choices).get(value, value))
        if self.kind in ("networks", "domains"):
            return ", ".join(value) if value else "—"
        return f"{value} {self.unit}".strip() if value != "" else "—"

    def as_text(self, value: object) -> str:
        """The value as the edit form shows it."""
        if self.kind in ("networks", "domains"):
            return "\n".join(value)
        return str(value)


OPTIONS: tuple[Option, ...] = (
    Option("attachment_size_limit_mb", "int", 10, _("Mail attachment size limit"),
           _("Largest total size of attachments on one outgoing mail, in megabytes. Larger incoming attachments are kept and flagged."),
           unit="MB", minimum=1, maximum=100),
    # The one rate of mass mail (ADM-05); system migration 0002 folded a look-alike option into it.
    Option("mass_mail_per_minute", "int", 60, _("Mass-mail sending rate"),
           _("Most messages a mass mailing sends per minute, so that the mail server and the recipients' servers do not take it for spam."),
           unit=_("per minute"), minimum=1, maximum=6000),
    Option("message_retention_days", "int", 7, _("Message retention days"),
           _("Internal messages older than this many days are deleted by the daily clean-up."),
           unit=_("days"), minimum=1, maximum=3650),
    Option("file_transfer_limit_mb", "int", 5, _("File-transfer size limit"),
           _("Largest file that can be sent with an internal message, in megabytes."),
           unit="MB", minimum=1, maximum=100),
    Option("message_char_limit", "int", 500, _("Message character limit"),
           _("Longest text of one internal message, in characters."),
           minimum=50, maximum=10000),
    Option("recent_activity_days", "int", 7, _("Recent-activity window"),
           _("How many days the 'recently processed' customer view looks back."),
           unit=_("days"), minimum=1, maximum=365),
    Option("ownership_mode", "choice", "non_strict", _("Ownership mode"),
           _("Strict: customers can only be created and owned by the people set up for their region. Non-strict: anyone may create them."),
           choices=(("non_strict", _("Non-strict")), ("strict", _("Strict by region")))),
    Option("duplicate_check_owner", "choice", "show", _("Owner in the duplicate check"),
           _("What the duplicate check (查重) says about a matching record held by someone else. Show: the owner's name, so the salesperson knows whom to ask. Hide: only that a colleague holds it, so nobody learns who owns a name, domain or phone number."),
           choices=(("show", _("Show the owner")), ("hide", _("Say only that a colleague holds it")))),
    Option("mail_poll_interval_minutes", "int", 5, _("Mail polling interval"),
           _("Default minutes between two fetches of a mailbox; each mailbox may override it."),
           unit=_("minutes"), minimum=1, maximum=1440),
    Option("idle_timeout_minutes", "int", 30, _("Idle timeout"),
           _("An account that makes no request for this many minutes is logged out and frees its seat."),
           unit=_("minutes"), minimum=1, maximum=1440),
    Option("trusted_networks", "networks", PRIVATE_NETWORKS, _("Trusted internal networks"),
           _("IP addresses or CIDR ranges, one per line, that count as the company network. Accounts without external network access may use the system only from these."),),
    Option("client_binding_mode", "choice", "off", _("Client binding"),
           _("Off: no binding. IP: accounts with IP bindings may log in only from those addresses. Device: every account must log in from a browser an administrator approved. Both: both checks apply. The administrator is always exempt."),
           choices=(("off", _("Off")), ("ip", _("IP binding")), ("device", _("Device binding")), ("both", _("IP and device binding")))),
    Option("login_failure_limit", "int", 5, _("Failed logins before a pause"),
           _("After this many failed logins for one account, each further attempt waits: 1 minute, then twice as long after every failure, up to 30 minutes; a browser the account logged in from before is not held up by failures elsewhere. An IP address with four times as many failures within 15 minutes is refused for 15 minutes."),
           minimum=3, maximum=100),
    Option("recycle_bin_retention_days", "int", 30, _("Recycle-bin retention"),
           _("Days a mail stays restorable in the recycle bin before it is purged for good."),
           unit=_("days"), minimum=1, maximum=3650),
    Option("customer_code_prefix", "text", "", _("Customer code prefix"),
           _("Text put before every automatic customer code, e.g. C. May be empty."),
           maximum=10),
    Option("customer_code_width", "int", 6, _("Customer code width"),
           _("Number of digits in an automatic customer code, padded with zeros."),
           minimum=3, maximum=12),
    Option("public_mail_domains", "domains", PUBLIC_MAIL_DOMAINS, _("Public mail domains"),
           _("Domains of free mail services, one per line. Mail from an unknown sender suggests the customer with the same domain, except from these domains."),),
)
BY_KEY: dict[str, Option] = {o.key: o for o in OPTIONS}


def get(key: str) -> object:
    """The current value of one option."""
    from tradeport.system.models import SystemOption

    option = BY_KEY[key]
    row = SystemOption.objects.filter(key=key).values_list("value", flat=True).first()
    return option.default if row is None else row


def get_all() -> dict[str, object]:
    """Every option's current value, in one query."""
    from tradeport.system.models import SystemOption

    stored = dict(SystemOption.objects.values_list("key", "value"))
    return {o.key: stored.get(o.key, o.default) for o in OPTIONS}
