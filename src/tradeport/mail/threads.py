"""Conversations: which thread a mail belongs to.

A thread is named by a key: the Message-ID (or, without one, the raw digest)
of its first known mail. A mail joins the thread of any mail its In-Reply-To
or References name. When a client dropped those headers (Outlook, many
forwards), a reply joins a recent thread with the same normalised subject and
at least one outside participant in common; two customers answering the same
mass mail share a subject but no participant, so they stay apart. A parent that
arrives after its replies (an import in file order) adopts their thread.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import getaddresses

from django.utils import timezone

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


def participants(addresses: list[str], ours: set[str]) -> frozenset[str]:
    """Bare, lower-cased addresses other than our own mailboxes; accepts "Name <a@b>" strings."""
    found = {address.lower() for _name, address in getaddresses(addresses) if "@" in address}
    return frozenset(found - ours)


def thread_keys(facts: list[ThreadFacts], ours: set[str]) -> list[str]:
    """The thread key of each mail of a batch, in order, in two queries."""
    known: dict[str, str] = {}
    parent_ids = {p for f in facts for p in f.parents}
    if parent_ids:
        known.update(Mail.objects.filter(message_id__in=parent_ids).exclude(thread_key="")
                     .values_list("message_id", "thread_key"))
    candidates: dict[str, list[tuple[frozenset[str], str]]] = defaultdict(list)
    subjects = {f.subject for f in facts if (f.is_reply or f.parents) and f.subject}
    if subjects:
        rows = (Mail.objects.filter(thread_subject__in=subjects, received_at__gte=timezone.now() - SUBJECT_WINDOW)
                .exclude(thread_key="").order_by("-id")
                .values_list("thread_subject", "from_address", "to", "cc", "thread_key")[:SUBJECT_CANDIDATES * len(subjects)])
        for subject, sender, to, cc, key in rows:
            candidates[subject].append((participants([sender, *to, *cc], ours), key))
    keys = []
    for fact in facts:
        key = next((known[p] for p in fact.parents if p in known), None)
        if key is None and (fact.is_reply or fact.parents) and fact.subject:  # headers dropped or unknown
            key = next((k for people, k in candidates[fact.subject] if people & fact.participants), None)
        key = key or fact.own_key
        keys.append(key)
        if fact.message_id:
            known.setdefault(fact.message_id, key)
        if fact.subject:
            candidates[fact.subject].insert(0, (fact.participants, key))
    return keys


def adopt_orphans(keys_by_message_id: dict[str, str]) -> int:
    """Replies stored before their parent move into the parent's thread, with their own replies."""
    if not keys_by_message_id:
        return 0
    orphans = (Mail.objects.filter(in_reply_to__in=keys_by_message_id.keys())
               .values_list("in_reply_to", "thread_key"))
    moved = 0
    for parent_id, orphan_key in orphans:
        key = keys_by_message_id[parent_id]
        if orphan_key != key:
            moved += Mail.objects.filter(thread_key=orphan_key).update(thread_key=key)
    return moved
