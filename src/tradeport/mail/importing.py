"""External mail import (ADM-11, ADM-12): .eml files, folders, .zip, .mbox and Outlook .msg.

Sources are read one message at a time (an mbox is indexed, not loaded), so a
large archive does not sit in memory. Importing twice imports nothing new:
the pipeline skips what it already has by Message-ID (or content, without one).
"""

import mailbox as mbox_format
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SENT_FOLDERS = {"sendbox", "sent", "sent items", "sent messages", "已发送", "已发送邮件", "发件箱"}


@dataclass
class Source:
    """One message to import: a label for progress and errors, a way to read it, and its direction."""

    label: str
    read: object  # callable returning bytes
    sent: bool


def _msg_bytes(path_or_bytes) -> bytes:
    """An Outlook .msg converted to RFC 822 bytes (extract-msg)."""
    import extract_msg

    message = extract_msg.openMsg(path_or_bytes)
    try:
        return message.asEmailMessage().as_bytes()
    finally:
        message.close()


def _in_sent_folder(path: Path) -> bool:
    return any(part.lower() in SENT_FOLDERS for part in path.parts[:-1])


def sources(paths: list[Path], *, sent: bool = False) -> Iterator[Source]:
    """Every message under these paths; a folder named like `sendbox` marks sent mail (Foxmail/Outlook exports)."""
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            yield from sources(files, sent=sent)
            continue
        suffix = path.suffix.lower()
        is_sent = sent or _in_sent_folder(path)
        if suffix == ".eml":
            yield Source(str(path), path.read_bytes, is_sent)
        elif suffix == ".msg":
            yield Source(str(path), lambda p=path: _msg_bytes(str(p)), is_sent)
        elif suffix in (".mbox", ".mbx") or (suffix == "" and _looks_like_mbox(path)):
            box = mbox_format.mbox(str(path), create=False)
            for key in box.iterkeys():
                yield Source(f"{path}#{key}", lambda k=key, b=box: b.get_bytes(k), is_sent)
        elif suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    inner = Path(info.filename)
                    if info.is_dir() or inner.suffix.lower() not in (".eml", ".msg"):
                        continue
                    data = archive.read(info)
                    reader = (lambda d=data: _msg_bytes(d)) if inner.suffix.lower() == ".msg" else (lambda d=data: d)
                    yield Source(f"{path}:{info.filename}", reader, sent or _in_sent_folder(inner))


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "
