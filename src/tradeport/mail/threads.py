"""Conversations: which thread a mail belongs to.

A thread is named by a key: the Message-ID (or, without one, the raw digest)
of its first known mail. A mail joins the thread of any mail its In-Reply-To
or References name. When a client dropped those headers (Outlook, many
forwards), a reply joins a thread with the same normalised subject, a date
within 120 days of its own, and at least one outside participant in common;
two customers answering the same mass mail share a subject but no participant,
so they stay apart. A parent that arrives after its replies (an import in file
order) adopts their thread.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q

from tradeport.mail.models import Mail

SUBJECT_WINDOW = timedelta(days=120)
SUBJECT_CANDIDATES = 50


@dataclass
class ThreadFacts:
    message_id: str
    parents: list[str]  # In-Reply-To first, then References from the newest
    subject: str  # normalised: no Re:/Fwd:/回复:, lower case
    is_reply: bool  # the subject carries a reply or forward prefix
    participants: frozenset[str]  # addresses that are not our own mailboxes
    own_key: str
    date: datetime | None = None


ANGLE_ADDRESS = re.compile(r"<([^<>@\s]+@[^<>\s]+)>\s*$")


def participants(addresses: list[str], ours: set[str]) -> frozenset[str]:
    """Bare, lower-cased addresses other than our own mailboxes.

    Accepts the stored "Name <a@b>" form as written, where a name may itself hold
    "@", "," or ";" (Outlook writes "info@x.com" <info@x.com>), so no header re-parsing.
    """
    found = set()
    for entry in addresses:
        match = ANGLE_ADDRESS.search(entry)
        address = match.group(1) if match else entry.strip()
        if "@" in address:
            found.add(address.lower())
    return frozenset(found - ours)


def _near(first: datetime | None, second: datetime | None) -> bool:
    return first is None or second is None or abs(first - second) <= SUBJECT_WINDOW


def thread_keys(facts: list[ThreadFacts], ours: set[str]) -> list[str]:
    """The thread key of each mail of a batch, in order, in two queries."""
    known: dict[str, str] = {}
    parent_ids = {p for f in facts for p in f.parents}
    if parent_ids:
        known.update(Mail.objects.filter(message_id__in=parent_ids).exclude(thread_key="")
                     .values_list("message_id", "thread_key"))
    candidates: dict[str, list[tuple[frozenset[str], str, datetime | None]]] = defaultdict(list)
    subjects = {f.subject for f in facts if (f.is_reply or f.parents) and f.subject}
    if subjects:
        # The newest mails of each subject; the date window is checked against each mail's own
        # date, so an imported archive threads as it did when it was written.
        rows = (Mail.objects.filter(thread_subject__in=subjects).exclude(thread_key="").order_by("-id")
                .values_list("thread_subject", "from_address", "to", "cc", "thread_key", "date", "received_at")
                [:SUBJECT_CANDIDATES * len(subjects)])
        for subject, sender, to, cc, key, date, received in rows:
            candidates[subject].append((participants([sender, *to, *cc], ours), key, date or received))
    keys = []
    for fact in facts:
        key = next((known[p] for p in fact.parents if p in known), None)
        if key is None and (fact.is_reply or fact.parents) and fact.subject:  # headers dropped or unknown
            key = next((k for people, k, date in candidates[fact.subject]
                        if people & fact.participants and _near(date, fact.date)), None)
        key = key or fact.own_key
        keys.append(key)
        if fact.message_id:
            known.setdefault(fact.message_id, key)
        if fact.subject:
            candidates[fact.subject].insert(0, (fact.participants, key, fact.date))
    return keys


def adopt_orphans(keys_by_message_id: dict[str, str], subjects: set[str]) -> int:
    """Replies stored before their parent move into the parent's thread, with their own replies.

    An orphan names the parent in In-Reply-To, or only in References; the latter are looked
    for among thread starters with the same subject (JSON containment is not portable).
    """
    if not keys_by_message_id:
        return 0
    condition = Q(in_reply_to__in=keys_by_message_id.keys())
    if subjects:  # a mail with parent headers that still began its own thread is waiting for its parent
        condition |= Q(thread_subject__in=subjects, thread_key=F("message_id")) & ~Q(references=[])
    orphans = Mail.objects.filter(condition).values_list("in_reply_to", "references", "thread_key")
    moved = 0
    for in_reply_to, references, orphan_key in orphans:
        parent = next((p for p in [in_reply_to, *reversed(references or [])] if p in keys_by_message_id), None)
        if parent is None or orphan_key == keys_by_message_id[parent]:
            continue
        moved += Mail.objects.filter(thread_key=orphan_key).update(thread_key=keys_by_message_id[parent])
    return moved

