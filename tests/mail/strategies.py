"""Hypothesis strategies for mail integrity tests: messages built by the standard library.

Profiles: `default` (run by `make test`, a few dozen examples per test, so the suite
stays quick on a loaded machine) and `nightly` (thousands), chosen with
`HYPOTHESIS_PROFILE=nightly`. Neither has a deadline: timings on a shared machine vary.
"""

import base64
import binascii
import functools
import os
import random
import struct
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from .make_fixtures import tnef_attribute

settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("nightly", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ENCODINGS = ["base64", "base64-lines", "base64-unpadded", "quoted-printable", "7bit", "8bit", "binary",
             "x-uuencode"]
HEADER_CHARSETS = ["utf-8", "gb18030", "gbk", "gb2312", "big5", "shift_jis", "iso-8859-1", "iso-8859-2",
                   "iso-8859-5", "iso-8859-7", "iso-8859-15", "windows-1250", "windows-1251", "windows-1252"]
MULTIBYTE = {"gb18030", "gbk", "gb2312", "big5", "shift_jis"}
SIZES = st.one_of(st.integers(0, 12), st.integers(13, 600), st.integers(600, 6000))


@functools.cache
def repertoire(charset: str) -> list[str]:
    """Letters the charset can write (beyond ASCII), found by decoding its byte space."""
    found = set()
    if charset in MULTIBYTE:
        for lead in range(0x81, 0xFF):
            for trail in range(0x40, 0xFF):
                try:
                    found.add(bytes([lead, trail]).decode(charset))
                except UnicodeDecodeError:
                    continue
    else:
        for byte in range(0xA0, 0x100):
            try:
                found.add(bytes([byte]).decode(charset))
            except UnicodeDecodeError:
                continue
    return sorted(c for c in found if len(c) == 1 and c.isprintable() and not c.isspace())


@st.composite
def text_in(draw, charset: str, max_size: int = 30) -> str:
    """A subject or display name the charset can write: ASCII words and the charset's letters."""
    letters = st.sampled_from(repertoire(charset)) if charset != "utf-8" else st.characters(
        blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn"))
    ascii_letters = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-")
    text = draw(st.text(st.one_of(letters, ascii_letters), min_size=1, max_size=max_size))
    return " ".join(text.split()) or "x"


FILENAME_CHARS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),       # Chinese
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),     # emoji
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789_-.() "),
    st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn"), blacklist_characters='"\\'),
)


@st.composite
def filenames(draw) -> str:
    """Unicode file names, some long enough for RFC 2231 continuations."""
    stem = draw(st.text(FILENAME_CHARS, min_size=1, max_size=draw(st.sampled_from([12, 40, 160]))))
    stem = " ".join(stem.split()).strip(". ") or "file"
    return f"{stem}.{draw(st.sampled_from(['pdf', 'xlsx', 'png', 'jpg', 'zip', 'doc']))}"


@st.composite
def attachments(draw) -> tuple[bytes, str, str, int]:
    """(bytes, file name, transfer encoding, line length) of one attachment."""
    encoding = draw(st.sampled_from(ENCODINGS))
    size = draw(SIZES)
    if encoding == "7bit":  # 7bit is text by definition: printable ASCII lines ending in CRLF
        line = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
        data = "".join(f"{text}\r\n" for text in draw(st.lists(line, max_size=max(1, size // 40)))).encode()
    else:
        data = draw(st.binary(min_size=size, max_size=size))
    return data, draw(filenames()), encoding, draw(st.sampled_from([4, 57, 60, 64, 72, 76, 77, 100, 998]))


def wrap(text: str, width: int) -> str:
    return "\r\n".join(text[i:i + width] for i in range(0, len(text), width)) or ""


def binary_qp(data: bytes, width: int) -> str:
    """Quoted-printable that keeps every byte, CR and LF included (=0D=0A), soft breaks at `width`."""
    width = max(width, 4)
    out, line = [], ""
    for byte in data:
        token = chr(byte) if 33 <= byte <= 126 and byte != 61 else f"={byte:02X}"
        if len(line) + len(token) > width - 1:
            out.append(line + "=")
            line = ""
        line += token
    out.append(line)
    return "\r\n".join(out)


def uu_body(data: bytes, name: str) -> str:
    rows = [binascii.b2a_uu(data[i:i + 45]).decode("ascii").rstrip("\n") for i in range(0, len(data), 45)]
    return "\r\n".join([f"begin 644 {name}", *rows, "`", "end"])


def build_message(items: list[tuple[bytes, str, str, int]], *, subject: tuple[str, str] = ("Order", "utf-8"),
                  sender: tuple[str, str] = ("Buyer", "utf-8"), body: str = "Please see the attachments.",
                  message_id: str = "<property@example.com>") -> bytes:
    """A message made by the standard library, each attachment in the transfer encoding asked for.

    The standard library always writes base64 in 76-character lines with padding and
    rewrites line endings of 8-bit parts, so those parts get their bytes afterwards.
    """
    message = EmailMessage(policy=policy.SMTP)
    message.set_content(body)
    placeholders = {}
    for index, (data, name, encoding, width) in enumerate(items):
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        part = list(message.iter_attachments())[-1]
        encoded = base64.b64encode(data).decode("ascii")
        if encoding == "base64-lines":
            part.set_payload(wrap(encoded, width) + "\r\n")
        elif encoding == "base64-unpadded":
            part.set_payload(wrap(encoded.rstrip("="), width) + "\r\n")
        elif encoding == "quoted-printable":
            part.replace_header("Content-Transfer-Encoding", "quoted-printable")
            part.set_payload(binary_qp(data, min(width, 76)))  # the delimiter brings its own CRLF
        elif encoding == "x-uuencode":
            part.replace_header("Content-Transfer-Encoding", "x-uuencode")
            part.set_payload(uu_body(data, "file.bin") + "\r\n")
        elif encoding in ("7bit", "8bit", "binary"):
            part.replace_header("Content-Transfer-Encoding", encoding)
            token = f"@@PART{index}@@"
            part.set_payload(token)
            placeholders[token.encode()] = data
    raw = message.as_bytes()
    for token, data in placeholders.items():
        raw = raw.replace(token, data)
    head = (f"Subject: {Header(subject[0], subject[1]).encode(linesep=chr(13) + chr(10))}\r\n"
            f"From: {formataddr((sender[0], 'buyer@example.com'), charset=sender[1])}\r\n"
            f"To: sales@tradeport.example\r\nDate: Tue, 03 Mar 2026 10:00:00 +0800\r\n"
            f"Message-ID: {message_id}\r\n")
    return head.encode("ascii") + raw


def tnef(data: bytes, long_name: str) -> bytes:
    """A winmail.dat carrying one attachment (the layout of make_fixtures.tnef_blob)."""
    blob = struct.pack("<IH", 0x223E9F78, 0x0A5B)
    blob += tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    blob += tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 936, 0))  # OEM code page
    blob += tnef_attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")
    blob += tnef_attribute(2, 0x9002, 0x0006, struct.pack("<HiIHI", 1, -1, 0, 1, 0))
    blob += tnef_attribute(2, 0x8010, 0x0001, b"ATTACH~1.BIN\x00")
    blob += tnef_attribute(2, 0x800F, 0x0006, data)
    name = f"{long_name}\x00".encode("utf-16-le")
    mapi = struct.pack("<I", 1) + struct.pack("<HH", 0x001F, 0x3707)
    mapi += struct.pack("<II", 1, len(name)) + name + b"\x00" * (-len(name) % 4)
    blob += tnef_attribute(2, 0x9005, 0x0006, mapi)
    return blob


def mutate(raw: bytes, seed: int, count: int = 4) -> bytes:
    """A seeded random damage: bytes flipped, cut, doubled or replaced by 8-bit junk."""
    rng = random.Random(seed)
    data = bytearray(raw)
    for _ in range(count):
        if not data:
            break
        at = rng.randrange(len(data))
        action = rng.randrange(5)
        if action == 0:
            data[at] = rng.randrange(256)
        elif action == 1:
            del data[at:at + rng.randint(1, 40)]
        elif action == 2:
            data[at:at] = data[at:at + rng.randint(1, 60)]
        elif action == 3:
            data[at:at] = bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randint(1, 6)))
        else:
            data = data[:at]
    return bytes(data)
