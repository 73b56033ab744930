"""Reading a mail (READ-01, READ-07, READ-08): the body document shown in a sandboxed frame.

The HTML was sanitised at intake (parsing.sanitise_html): no scripts, no event
handlers, no style sheets, and remote images held back in `data-remote-src`.
Here it is wrapped in a document of its own, served with a Content-Security-Policy
that loads nothing from outside unless the reader allowed remote content for
this mail or this sender. Images the message carries (`cid:`) are inlined as
data: URIs, because the sandboxed frame has no cookies to fetch them with.
"""

import base64
import html
import re

from django.core.files.storage import default_storage

from tradeport.customers.models import Customer
from tradeport.mail.models import Mail, RemoteContentAllowance

CID_SRC = re.compile(r'src="cid:([^"]+)"', re.IGNORECASE)
REMOTE_SRC = re.compile(r"(<img\b[^>]*?\s)data-remote-src=\"", re.IGNORECASE)
INLINE_LIMIT = 5 * 1024 * 1024  # larger inline images stay attachments
PREVIEWABLE = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf"}

FRAME_STYLE = ("body{font-family:system-ui,-apple-system,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;"
               "font-size:14px;line-height:1.5;margin:0;padding:.75rem;word-wrap:break-word}"
               "img{max-width:100%;height:auto}pre{white-space:pre-wrap}"
               "img[data-remote-src]{display:inline-block;min-width:1.5rem;min-height:1rem;"
               "background:#eee;outline:1px dashed #bbb}")


def customers_shown(account, customer_ids) -> set[int]:
    """PERM-13: of the customers a mail names, those the reader may see. Mail reaches people who may
    not see its customer (their own sent mail, an internal copy); naming the customer would tell them
    who is behind an address, which the address-clash message deliberately hides."""
    wanted = {pk for pk in customer_ids if pk}
    if not wanted:
        return set()
    return set(Customer.objects.visible_to(account).filter(pk__in=wanted).values_list("pk", flat=True))


def remote_allowed(account, mail: Mail, *, this_time: bool = False) -> bool:
    """Remote images load only when the reader allowed them for this mail or for its sender."""
    if this_time:
        return True
    return RemoteContentAllowance.objects.filter(account=account, sender=mail.from_address).exists()


def _inline_cid_images(mail: Mail, body: str) -> str:
    wanted = set(CID_SRC.findall(body))
    if not wanted:
        return body
    sources = {}
    for attachment in mail.attachments.filter(content_id__in=wanted):
        if attachment.size > INLINE_LIMIT or not attachment.content_type.startswith("image/") \
                or attachment.content_type == "image/svg+xml":
            continue
        with default_storage.open(attachment.path, "rb") as handle:
            encoded = base64.b64encode(handle.read()).decode("ascii")
        sources[attachment.content_id] = f"data:{attachment.content_type};base64,{encoded}"
    return CID_SRC.sub(lambda m: f'src="{sources[m.group(1)]}"' if m.group(1) in sources else 'src=""', body)


def body_document(mail: Mail, *, allow_remote: bool, as_text: bool = False) -> str:
    """The whole document for the reading frame: HTML, or the text part (READ-07)."""
    if as_text or not mail.html:
        content = f"<pre>{html.escape(mail.text)}</pre>"
    else:
        content = _inline_cid_images(mail, mail.html)
        if allow_remote:
            content = REMOTE_SRC.sub(r'\1src="', content)
    return (f'<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
            f"<style>{FRAME_STYLE}</style></head><body>{content}</body></html>")


def body_policy(*, allow_remote: bool) -> str:
    """The frame's CSP: nothing runs, nothing leaves, unless remote images were allowed."""
    images = "data: http: https:" if allow_remote else "data:"
    return (f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; font-src data:; "
            "base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")
