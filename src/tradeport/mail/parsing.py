"""`parse_message(raw)`: one email's bytes to a ParsedMessage. Pure: no database, no network.

Real mail is often malformed, so nothing here trusts a header: every header is
decoded chunk by chunk with the charset ladder of `mail.charsets`, every body
part falls back to a guess, and what was wrong is listed in `defects` instead
of raising. Only bytes that are not an email at all raise `NotAnEmail`.

The result carries:
- subject, from_ / to / cc / reply_to (`Address(name, address)`), date (UTC);
- message_id, in_reply_to, references, and `thread_subject` (subject without
  Re:/Fwd:/回复:/转发: prefixes) for threading when headers are missing;
- text, and html sanitised by nh3 with remote images blocked (their address
  kept in `data-remote-src`) and `cid:` images kept for serving from the message;
- attachments (filenames decoded, attached messages parsed into `message`,
  uuencoded blocks and TNEF winmail.dat unpacked);
- kind: "message", "dsn" (delivery status, with `dsn`) or "mdn" (read receipt, with `mdn`);
- defects: what was wrong and how it was read.
"""

import binascii
import datetime
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import nh3

from tradeport.mail.charsets import decode

SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|回复|答复|转发|回覆|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+",
                            re.IGNORECASE)
UUENCODE_BEGIN = re.compile(rb"^begin [0-7]{3,4} (.+)$", re.MULTILINE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}
HTML_ATTRIBUTES = {
    "*": {"style", "title", "dir", "lang", "align", "valign", "width", "height", "bgcolor", "color"},
    "a": {"href", "name"},
    "img": {"src", "alt", "border"},
    "font": {"face", "size"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap"},
    "table": {"border", "cellpadding", "cellspacing"},
}
IMG_SRC = re.compile(r"""(<img\b[^>]*?\s)src="(?!cid:)""", re.IGNORECASE)


class NotAnEmail(ValueError):
    """The bytes have no headers at all; the caller keeps them quarantined."""


@dataclass(frozen=True)
class Address:
    name: str
    address: str

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)
    content_id: str = ""
    inline: bool = False
    message: "ParsedMessage | None" = None

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class DeliveryStatus:
    """A bounce (RFC 3464): who failed, why, and which message it was."""

    recipients: list[str]
    status: str
    diagnostic: str
    original_message_id: str


@dataclass
class ReadReceipt:
    """A read receipt (RFC 8098)."""

    original_message_id: str
    disposition: str


@dataclass
class ParsedMessage:
    subject: str = ""
    from_: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime.datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    has_remote_images: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    kind: str = "message"
    dsn: DeliveryStatus | None = None
    mdn: ReadReceipt | None = None
    disposition_notification_to: str = ""
    defects: list[str] = field(default_factory=list)
    content_hash: str = ""  # content_digest() of the raw message; set by parse_message

    @property
    def thread_subject(self) -> str:
        return " ".join(SUBJECT_PREFIX.sub("", self.subject).split()).lower()

    def all_attachments(self):
        """Attachments, including those of attached messages."""
        for attachment in self.attachments:
            yield attachment
            if attachment.message is not None:
                yield from attachment.message.all_attachments()


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse one message. Never raises for malformed mail; raises NotAnEmail for non-mail bytes."""
    if not raw or not raw.strip():
        raise NotAnEmail("empty message")
    head = raw.lstrip()[:2000]
    if b":" not in head.split(b"\n", 1)[0] and not head.startswith(b"From "):
        raise NotAnEmail("no header line at the start")
    message = email.message_from_bytes(raw, policy=policy.compat32)
    parsed = _parse(message)
    parsed.content_hash = content_digest(raw, message)
    return parsed


HEADER_END = re.compile(rb"\r?\n\r?\n")


def content_digest(raw: bytes, message: Message | None = None) -> str:
    """What tells two mails under one Message-ID apart: Subject, From, Date and the body, as bytes.

    Headers servers add on the way (Received, X-…) and line endings (an mbox export writes LF)
    are left out, so a copy of the same mail fetched again or imported from a client's export
    has the same digest; a shop system that reuses its Message-ID for another mail does not.
    """
    if message is None:
        message = email.message_from_bytes(raw, policy=policy.compat32)
    found = HEADER_END.search(raw)
    body = raw[found.end():] if found else b""
    body = body.replace(b"\r\n", b"\n").rstrip(b" \t\n")  # only line ends: cheap next to the parse
    digest = hashlib.sha256()
    for name in ("subject", "from", "date"):
        value = next((v for k, v in message.raw_items() if k.lower() == name), "")
        digest.update(" ".join(str(value).split()).encode("utf-8", "surrogateescape") + b"\n")
    digest.update(body)
    return digest.hexdigest()


def _body_charset(message: Message) -> str | None:
    """The first declared text charset: the best hint for raw 8-bit headers (old clients write both alike)."""
    for part in message.walk():
        if part.get_content_maintype() == "text" and part.get_content_charset():
            return part.get_content_charset()
    return None


def _parse(message: Message) -> ParsedMessage:
    parsed = ParsedMessage()
    defects = parsed.defects
    hint = _body_charset(message)
    headers = _raw_headers(message)

    def header(name: str) -> str:
        return _decode_header(headers.get(name, ""), defects, hint)

    def addresses(name: str) -> list[Address]:
        return _addresses(headers.get(name, ""), defects, hint)

    parsed.subject = " ".join(header("subject").split())
    senders = addresses("from")
    parsed.from_ = senders[0] if senders else None
    parsed.to = addresses("to")
    parsed.cc = addresses("cc")
    parsed.reply_to = addresses("reply-to")
    parsed.date = _date(header("date"), defects)
    parsed.message_id = _first_id(_id_text(headers.get("message-id", "")))
    parsed.in_reply_to = _first_id(_id_text(headers.get("in-reply-to", "")))
    parsed.references = MESSAGE_ID.findall(_id_text(headers.get("references", "")))
    receipt = addresses("disposition-notification-to")
    parsed.disposition_notification_to = receipt[0].address if receipt else ""
    texts, htmls = [], []
    _walk(message, parsed, texts, htmls, hint)
    defects.extend(_defect_names(message))
    parsed.text = "\n\n".join(t for t in texts if t.strip())
    if htmls:
        parsed.html, parsed.has_remote_images = sanitise_html("\n".join(htmls))
        for attachment in parsed.attachments:  # referenced by cid: means shown in the body
            if attachment.content_id and f"cid:{attachment.content_id}" in parsed.html:
                attachment.inline = True
    if parsed.dsn is not None and not parsed.dsn.original_message_id:
        parsed.dsn.original_message_id = _returned_message_id(message, parsed)
    _valid_unicode(parsed, hint)
    return parsed


def _valid(text: str, hint: str | None, defects: list[str]) -> str:
    """Text without lone surrogates (raw 8-bit bytes the header parser let through): decoded by the ladder."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return decode(text.encode("utf-8", "surrogateescape"), hint, defects)


def _valid_unicode(parsed: ParsedMessage, hint: str | None) -> None:
    """Every short field as valid Unicode: a database refuses lone surrogates, and one must not stop intake."""
    defects = parsed.defects

    def clean(text: str) -> str:
        return _valid(text, hint, defects)

    parsed.subject = clean(parsed.subject)
    parsed.message_id, parsed.in_reply_to = clean(parsed.message_id), clean(parsed.in_reply_to)
    parsed.references = [clean(ref) for ref in parsed.references]
    parsed.disposition_notification_to = clean(parsed.disposition_notification_to)
    parsed.from_ = Address(clean(parsed.from_.name), clean(parsed.from_.address)) if parsed.from_ else None
    for name in ("to", "cc", "reply_to"):
        setattr(parsed, name, [Address(clean(a.name), clean(a.address)) for a in getattr(parsed, name)])
    for attachment in parsed.attachments:
        attachment.filename = clean(attachment.filename)
        attachment.content_type = clean(attachment.content_type)
        attachment.content_id = clean(attachment.content_id)
    if parsed.dsn is not None:
        dsn = parsed.dsn
        parsed.dsn = DeliveryStatus([clean(r) for r in dsn.recipients], clean(dsn.status), clean(dsn.diagnostic),
                                    clean(dsn.original_message_id))
    if parsed.mdn is not None:
        parsed.mdn = ReadReceipt(clean(parsed.mdn.original_message_id), clean(parsed.mdn.disposition))
    parsed.defects[:] = [_valid(defect, hint, None) for defect in list(defects)]
    # PostgreSQL refuses NUL in text; a NUL is never meaningful in a header or a body.
    parsed.text, parsed.html = parsed.text.replace("\x00", ""), parsed.html.replace("\x00", "")


def _returned_message_id(message: Message, parsed: ParsedMessage) -> str:
    """The Message-ID of the returned message: an attached message, or text/rfc822-headers."""
    for attachment in parsed.attachments:
        if attachment.message is not None and attachment.message.message_id:
            return attachment.message.message_id
    for part in message.walk():
        if part.get_content_type() == "text/rfc822-headers":
            headers = email.message_from_bytes(_payload(part), policy=policy.compat32)
            return _first_id(str(headers.get("Message-ID") or ""))
    return ""


def _defect_names(part: Message) -> list[str]:
    return [d if isinstance(d, str) else type(d).__name__ for d in part.defects]


def _raw_headers(message: Message) -> dict[str, str]:
    """First value of each header, as raw text (8-bit bytes kept as surrogates)."""
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        found.setdefault(name.lower(), value if isinstance(value, str) else str(value))
    return found


def _bytes_of(text: str) -> bytes:
    """The raw bytes behind header text: 8-bit bytes arrive as surrogates, or as Latin-1 characters."""
    for codec in ("ascii", "latin-1"):
        try:
            return text.encode(codec, "surrogateescape")
        except UnicodeEncodeError:
            continue
    return text.encode("utf-8", "surrogateescape")


def _id_text(value: str) -> str:
    """A Message-ID header as text. Raw 8-bit bytes are read as UTF-8 or else Latin-1, never guessed:
    the same bytes must give the same id in the mail and in every reply that names it."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decode_header(value: str, defects: list[str], hint: str | None = None) -> str:
    """RFC 2047 encoded words and raw 8-bit text, each chunk through the charset ladder.

    Raw 8-bit chunks have no label; `hint` (the body's charset) is the best one available.
    """
    if not value:
        return ""
    value = re.sub(r"\r?\n[ \t]+", " ", str(value))
    if "=?" in value and not value.isascii():
        value = _raw_8bit_in_words(value)
    try:
        chunks = decode_header(value)
    except Exception:  # a broken encoded word: read the line as it is
        defects.append("broken encoded word in a header")
        return decode(_bytes_of(value), hint, defects)
    words = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            words.append(decode(_bytes_of(chunk), charset or hint, defects) if not chunk.isascii() else chunk)
        else:
            words.append(decode(chunk, hint if charset in (None, "unknown-8bit") else charset, defects))
    return "".join(words).strip()


Q_WORD = re.compile(r"=\?[^?\s]+\?[qQ]\?[^?\s]*\?=")
RAW_BYTE = re.compile("[\udc80-\udcff]")


def _raw_8bit_in_words(value: str) -> str:
    """Raw 8-bit bytes inside Q encoded words (older clients write `=?iso-8859-1?Q?Fr\xf6sche?=`) as the
    =XX they should have been, so they decode with the word's charset instead of as escape text."""
    return Q_WORD.sub(lambda word: RAW_BYTE.sub(lambda b: f"={ord(b.group()) - 0xDC00:02X}", word.group()), value)


def _addresses(value: str, defects: list[str], hint: str | None = None) -> list[Address]:
    if not value:
        return []
    found = []
    for name, address in getaddresses([re.sub(r"\r?\n[ \t]+", " ", value)]):
        address = address.strip().strip("<>").strip()
        if "@" not in address:
            if address or name:
                defects.append(f"unreadable address {address or name!r}")
            continue
        found.append(Address(_decode_header(name, defects, hint).strip('" '),
                             _decode_header(address, defects, hint).lower()))
    return found


def _date(value: str, defects: list[str]) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        defects.append(f"unreadable date {value.strip()[:40]!r}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def _first_id(value: str) -> str:
    match = MESSAGE_ID.search(value or "")
    if match:
        return match.group(0)
    bare = (value or "").strip()
    return f"<{bare}>" if bare and " " not in bare and "@" in bare else ""


RAW_PARAM = re.compile(r'(?:^|;)\s*(filename|name)\s*=\s*"?([^";]*)"?', re.IGNORECASE)


def _raw_8bit_filename(part: Message) -> str | None:
    """A filename written in raw 8-bit bytes; get_param() would have replaced them with U+FFFD."""
    for header in ("content-disposition", "content-type"):
        for name, value in part.raw_items():
            if name.lower() == header and isinstance(value, str) and not value.isascii():
                match = RAW_PARAM.search(value.replace("\r\n", " "))
                if match:
                    return match.group(2).strip()
    return None


def _filename(part: Message, defects: list[str], hint: str | None = None) -> str:
    eight_bit = _raw_8bit_filename(part)
    if eight_bit is not None:
        return decode(_bytes_of(eight_bit), part.get_content_charset() or hint, defects)
    raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if raw is None:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, value)
        charset, _language, value = raw
        data = _bytes_of(value) if isinstance(value, str) else value
        return decode(data, charset, defects)
    return _decode_header(email.utils.collapse_rfc2231_value(raw), defects, hint)


def _payload(part: Message) -> bytes:
    """The part's decoded bytes, exactly as sent."""
    if str(part.get("Content-Transfer-Encoding") or "").strip().lower() == "base64":
        encoded = part.get_payload(decode=False)
        if isinstance(encoded, str):
            return _base64(encoded.encode("ascii", "ignore"), part)
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


B64_NOISE = re.compile(rb"[^A-Za-z0-9+/=]+")
B64_LINES = re.compile(rb"(?:[A-Za-z0-9+/]*=*[ \t]*\r?\n)*[A-Za-z0-9+/]*=*\s*")


def _base64(data: bytes, part: Message) -> bytes:
    """Base64 with or without padding, at any line length.

    Only a length no complete input can have (one character past a group of four) is
    reported as truncated. Text after the padding is more data only when it is base64
    lines (some encoders pad every line); a footer a list server appended is ignored.
    """
    pad = data.find(b"=")
    if pad == -1 or not data[pad:].strip(b"= \t\r\n"):
        try:  # the usual case: well-formed, decoded in one pass
            return binascii.a2b_base64(data)
        except binascii.Error:
            pass
    if pad != -1 and not B64_LINES.fullmatch(data, pad + len(data[pad:]) - len(data[pad:].lstrip(b"="))):
        data = data[:pad]
    chunks = [c for c in B64_NOISE.sub(b"", data).split(b"=") if c]
    decoded = []
    for chunk in chunks:
        if len(chunk) % 4 == 1:
            chunk = chunk[:-1]
            if "truncated base64" not in part.defects:
                part.defects.append("truncated base64")
        decoded.append(binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)))
    return b"".join(decoded)


def _walk(part: Message, parsed: ParsedMessage, texts: list[str], htmls: list[str], hint: str | None) -> None:
    defects = parsed.defects
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    if content_type == "message/delivery-status":
        parsed.kind = "dsn"
        parsed.dsn = _delivery_status(part, parsed)
        return
    if content_type == "message/disposition-notification":
        parsed.kind = "mdn"
        parsed.mdn = _read_receipt(part)
        return
    if part.is_multipart() and content_type != "message/rfc822":
        if content_type == "multipart/report":
            report = (part.get_param("report-type") or "").lower()
            parsed.kind = {"delivery-status": "dsn", "disposition-notification": "mdn"}.get(report, parsed.kind)
        children = part.get_payload() or []
        if content_type == "multipart/alternative":
            children = _best_alternatives(children)
        for child in children:
            if isinstance(child, Message):
                _walk(child, parsed, texts, htmls, hint)
        defects.extend(_defect_names(part))
        return
    filename = _filename(part, defects, hint)
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            nested = _parse(inner)
            raw = _message_bytes(inner)
            parsed.attachments.append(Attachment(filename or f"{nested.subject or 'message'}.eml", "message/rfc822",
                                                 raw, message=nested))
        return
    if content_type in ("application/ms-tnef", "application/vnd.ms-tnef") or filename.lower() == "winmail.dat":
        _tnef(_payload(part), parsed, texts)
        return
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not (
            filename and disposition != "inline"):
        text = decode(_payload(part), part.get_content_charset(), defects)
        defects.extend(_defect_names(part))
        if content_type == "text/html":
            htmls.append(text)
        else:
            texts.append(_extract_uuencoded(text, part, parsed))
        return
    content = _payload(part)
    defects.extend(_defect_names(part))
    if not content and not filename:
        return
    content_id = str(part.get("Content-ID") or "").strip()
    parsed.attachments.append(Attachment(
        filename or _default_name(content_type), content_type, content,
        content_id=content_id.strip("<>"), inline=disposition == "inline" or bool(content_id and not filename)))


def _message_bytes(inner: Message) -> bytes:
    """An attached message as bytes, for download; damaged ones as near to the original as the generator gets."""
    try:
        return inner.as_bytes(policy=policy.compat32.clone(linesep="\r\n")) if not inner.defects else bytes(inner)
    except (UnicodeError, TypeError, ValueError):
        return inner.as_string().encode("utf-8", "surrogateescape")


def _best_alternatives(children: list) -> list:
    """Of multipart/alternative, keep the last plain text and the last HTML (or the last part)."""
    chosen, seen = [], set()
    for child in reversed(children):
        if not isinstance(child, Message):
            continue
        kind = child.get_content_type()
        key = kind if kind in ("text/plain", "text/html") else "other"
        if key not in seen:
            seen.add(key)
            chosen.append(child)
    return list(reversed(chosen))


def _default_name(content_type: str) -> str:
    import mimetypes

    return f"attachment{mimetypes.guess_extension(content_type) or '.bin'}"


def _extract_uuencoded(text: str, part: Message, parsed: ParsedMessage) -> str:
    """Old clients put uuencoded files inside the text: take them out as attachments."""
    if "\nbegin " not in f"\n{text}":
        return text
    data = _payload(part)
    kept = data
    for match in UUENCODE_BEGIN.finditer(data):
        block_end = data.find(b"\nend", match.end())
        if block_end == -1:
            continue
        content = bytearray()
        try:
            for line in data[match.end():block_end].strip(b"\r\n").splitlines():
                if line.strip():
                    content += binascii.a2b_uu(line)
        except binascii.Error:
            parsed.defects.append("broken uuencoded block")
            continue
        name = decode(match.group(1).strip(), part.get_content_charset(), parsed.defects)
        parsed.attachments.append(Attachment(name, _guess_type(name), bytes(content)))
        kept = kept.replace(data[match.start():block_end + 4], b"")
    return decode(kept, part.get_content_charset(), parsed.defects)


def _guess_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _tnef(data: bytes, parsed: ParsedMessage, texts: list[str]) -> None:
    """Outlook's winmail.dat: unpack its attachments and body (tnefparse)."""
    from tnefparse import TNEF

    try:
        tnef = TNEF(data)
    except Exception as exc:
        parsed.defects.append(f"unreadable winmail.dat ({type(exc).__name__})")
        parsed.attachments.append(Attachment("winmail.dat", "application/ms-tnef", data))
        return
    for attachment in tnef.attachments:
        name = attachment.long_filename() or attachment.name or "attachment.bin"
        if isinstance(name, bytes):
            name = decode(name, None, parsed.defects)
        parsed.attachments.append(Attachment(name, _guess_type(name), attachment.data))
    body = getattr(tnef, "body", None)
    if body:
        texts.append(body if isinstance(body, str) else decode(body, None, parsed.defects))


def _fields(part: Message) -> list[dict[str, str]]:
    """The header groups of a delivery-status or disposition-notification part."""
    payload = part.get_payload()
    groups = payload if isinstance(payload, list) else [email.message_from_string(str(payload))]
    found = []
    for group in groups:
        if isinstance(group, Message):
            found.append({k.lower(): str(v).strip() for k, v in group.items()})
    return found


def _delivery_status(part: Message, parsed: ParsedMessage) -> DeliveryStatus:
    groups = _fields(part)
    recipients, status, diagnostic = [], "", ""
    for group in groups:
        recipient = group.get("final-recipient") or group.get("original-recipient")
        if recipient:
            recipients.append(recipient.split(";")[-1].strip().lower())
            if group.get("action", "").lower() == "failed" or not status:
                status = group.get("status", status)
                diagnostic = group.get("diagnostic-code", diagnostic).split(";", 1)[-1].strip()
    original = ""
    for attachment in parsed.attachments:
        if attachment.message is not None:
            original = attachment.message.message_id
    return DeliveryStatus(recipients, status, " ".join(diagnostic.split()), original)


def _read_receipt(part: Message) -> ReadReceipt:
    fields = {}
    for group in _fields(part):
        fields.update(group)
    return ReadReceipt(_first_id(fields.get("original-message-id", "")), fields.get("disposition", ""))


def _no_remote_css(tag: str, attribute: str, value: str) -> str | None:
    """Inline styles may not load anything (url(), image-set(), expressions)."""
    if attribute == "style" and (re.search(r"url\s*\(|image-set|expression\s*\(|@import", value, re.IGNORECASE)
                                 or "\\" in value or "/*" in value):  # CSS escapes and comments hide url(
        return None
    return value


def sanitise_html(html: str) -> tuple[str, bool]:
    """HTML safe to show: no scripts, styles sheets or event handlers; remote images held back.

    Returns the HTML and whether it had remote images. A remote image keeps its
    address in `data-remote-src`, for the reader who allows remote content.
    """
    cleaned = nh3.clean(
        html, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow", strip_comments=True, attribute_filter=_no_remote_css,
    )
    # After cleaning, attributes are normalised (entities decoded, quoted with "), so every
    # image source that is not part of the message itself is reliably found and held back.
    blocked = IMG_SRC.sub(r'\1data-remote-src="', cleaned)
    return blocked, blocked != cleaned
