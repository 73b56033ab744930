"""Conversations (SEND-16, MAIL-16): which thread each stored mail joins.

A thread is named by the Message-ID (or "sha256:<digest>") of its first known
mail. Headers decide first; a reply whose client dropped them joins a recent
mail with the same normalised subject and a participant in common.
"""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from tradeport.mail.models import Mail
from tradeport.mail.services import ingest_batch, message_ingest

pytestmark = pytest.mark.django_db


def message(sender: str, *, subject: str, message_id: str | None, to: str = "info@tradeport.test",
            cc: str = "", in_reply_to: str = "", references: str = "", body: str = "Hello.") -> bytes:
    """An RFC 822 message with exactly the threading headers asked for; message_id=None leaves it out."""
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Wed, 4 Mar 2026 09:30:00 +0100"]
    if cc:
        headers.append(f"Cc: {cc}")
    if message_id is not None:
        headers.append(f"Message-ID: {message_id}")
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(headers) + f"\r\n\r\n{body}\r\n").encode()


def take(world, raw: bytes) -> Mail:
    result = message_ingest(mailbox=world["mailbox"], raw=raw)
    assert result.outcome == "stored"
    return result.mail


def key_of(message_id: str) -> str:
    return Mail.objects.get(message_id=message_id).thread_key


@pytest.fixture
def offer(world):
    """Our offer to Hanse Trade's main address, the start of a conversation."""
    return take(world, message("Tradeport Sales <info@tradeport.test>", to="Hanse Trade <info@hanse.de>",
                               subject="Offer 2026-03 steel pipes", message_id="<offer-1@tradeport.test>"))


# Headers ------------------------------------------------------------------------------------

def test_a_mail_starts_a_thread_named_by_its_message_id(offer):
    """SEND-16: the first mail of a conversation names the thread with its own Message-ID."""
    assert offer.thread_key == "<offer-1@tradeport.test>"
    assert offer.thread_subject == "offer 2026-03 steel pipes"


def test_a_reply_naming_its_parent_in_in_reply_to_joins_the_thread(world, offer):
    """SEND-16, MAIL-16: In-Reply-To puts the reply in its parent's thread, whatever its subject says."""
    reply = take(world, message("info@hanse.de", subject="Our order", message_id="<r1@hanse.de>",
                                in_reply_to="<offer-1@tradeport.test>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"
    assert reply.customer == world["customer"]


def test_a_reply_with_references_only_joins_the_thread(world, offer):
    """SEND-16: without In-Reply-To, References is enough; an unknown id in it does not hide the known one."""
    reply = take(world, message("anna@hanse.de", subject="Price question", message_id="<r2@hanse.de>",
                                references="<offer-1@tradeport.test> <never-seen@elsewhere.example>"))
    assert reply.in_reply_to == ""
    assert reply.thread_key == "<offer-1@tradeport.test>"


def test_a_reply_to_a_reply_joins_the_first_mails_thread(world, offer):
    """SEND-16: a chain of replies keeps the key of the conversation's first mail."""
    take(world, message("info@hanse.de", subject="Re: Offer 2026-03 steel pipes", message_id="<r1@hanse.de>",
                        in_reply_to="<offer-1@tradeport.test>"))
    ours = take(world, message("info@tradeport.test", to="info@hanse.de", subject="Re: Offer 2026-03 steel pipes",
                               message_id="<offer-2@tradeport.test>", in_reply_to="<r1@hanse.de>",
                               references="<offer-1@tradeport.test> <r1@hanse.de>"))
    assert ours.thread_key == "<offer-1@tradeport.test>"


# Subject and participants, when the headers were dropped ------------------------------------

def test_an_outlook_reply_without_threading_headers_joins_by_subject_and_participant(world, offer):
    """SEND-16: "RE: subject" from the customer, with no In-Reply-To or References, joins our offer."""
    reply = take(world, message("Hanse Trade <info@hanse.de>", subject="RE: Offer 2026-03   Steel Pipes",
                                message_id="<outlook-1@hanse.de>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"


def test_a_participant_in_cc_is_enough_to_join(world, offer):
    """SEND-16: the common participant may be a copied address rather than the sender."""
    reply = take(world, message("anna@hanse.de", cc="Info <info@hanse.de>", subject="AW: Offer 2026-03 steel pipes",
                                message_id="<outlook-2@hanse.de>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"


def test_parent_headers_naming_no_stored_mail_fall_back_to_the_subject(world, offer):
    """SEND-16: a reply whose In-Reply-To names a mail we never stored joins by subject, even without a prefix."""
    reply = take(world, message("info@hanse.de", subject="Offer 2026-03 steel pipes", message_id="<r9@hanse.de>",
                                in_reply_to="<lost-in-another-mailbox@tradeport.test>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"


def test_a_new_mail_with_the_same_subject_but_no_reply_sign_starts_its_own_thread(world, offer):
    """SEND-16: the subject alone does not thread; a fresh mail without prefix or parent headers is new."""
    fresh = take(world, message("info@hanse.de", subject="Offer 2026-03 steel pipes", message_id="<new@hanse.de>"))
    assert fresh.thread_key == "<new@hanse.de>"


def test_two_customers_answering_one_mass_mail_stay_in_separate_threads(world):
    """SEND-16: two customers reply "Re:" to the same mass mail; they share a subject but no participant."""
    take(world, message("info@tradeport.test", to="info@tradeport.test", subject="New catalogue 2026",
                        message_id="<mass-1@tradeport.test>"))
    hanse = take(world, message("info@hanse.de", subject="Re: New catalogue 2026", message_id="<h1@hanse.de>"))
    other = take(world, message("buyer@baltic-import.example", subject="Re: New catalogue 2026",
                                message_id="<b1@baltic-import.example>"))
    hanse_again = take(world, message("info@hanse.de", subject="Re: Re: New catalogue 2026",
                                      message_id="<h2@hanse.de>"))
    # Our own mailbox is in every one of them and does not count as a common participant.
    assert hanse.thread_key == "<h1@hanse.de>"
    assert other.thread_key == "<b1@baltic-import.example>"
    assert hanse_again.thread_key == "<h1@hanse.de>"


def test_a_reply_with_no_participant_in_common_starts_its_own_thread(world):
    """SEND-16: the same subject from someone who was not in the earlier mail is another conversation."""
    take(world, message("buyer@baltic-import.example", subject="Sample request", message_id="<s1@baltic.example>"))
    reply = take(world, message("info@hanse.de", subject="Re: Sample request", message_id="<s2@hanse.de>"))
    assert reply.thread_key == "<s2@hanse.de>"


@pytest.mark.parametrize(("age_days", "joins"), [(119, True), (121, False)])
def test_the_subject_fallback_looks_back_120_days(world, offer, age_days, joins):
    """SEND-16: a "Re:" joins a same-subject mail dated within 120 days of its own; an older one starts a new thread."""
    reply_date = Mail.objects.get(pk=offer.pk).date  # the test mails all carry the same Date header
    Mail.objects.filter(pk=offer.pk).update(date=reply_date - timedelta(days=age_days))
    reply = take(world, message("info@hanse.de", subject="Re: Offer 2026-03 steel pipes",
                                message_id="<late@hanse.de>"))
    assert (reply.thread_key == "<offer-1@tradeport.test>") is joins
    if not joins:
        assert reply.thread_key == "<late@hanse.de>"


def test_headers_join_even_beyond_the_subject_window(world, offer):
    """SEND-16: the 120-day window limits only the subject fallback; In-Reply-To always joins."""
    Mail.objects.filter(pk=offer.pk).update(received_at=timezone.now() - timedelta(days=400))
    reply = take(world, message("info@hanse.de", subject="Re: Offer 2026-03 steel pipes",
                                message_id="<very-late@hanse.de>", in_reply_to="<offer-1@tradeport.test>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"


@pytest.mark.parametrize("prefix", ["回复：", "回复:", "转发：", "答复: ", "Fwd: ", "RE[2]: "])
def test_chinese_and_other_reply_prefixes_are_recognised(world, prefix):
    """SEND-16: 回复 and 转发 with a full- or half-width colon, and other prefixes, mark a reply."""
    original = take(world, message("info@tradeport.test", to="sales@hanse.de", subject="报价单 三月",
                                   message_id="<cn-1@tradeport.test>"))
    reply = take(world, message("sales@hanse.de", subject=f"{prefix}报价单 三月", message_id="<cn-2@hanse.de>"))
    assert reply.thread_subject == original.thread_subject == "报价单 三月"
    assert reply.thread_key == "<cn-1@tradeport.test>"


def test_display_names_that_look_like_addresses_still_count_as_participants(world):
    """SEND-16: Outlook and Foxmail often write '"info@hanse.de" <info@hanse.de>'; it is still a participant."""
    take(world, message("info@tradeport.test", to='"info@hanse.de" <info@hanse.de>', subject="Delivery schedule",
                        message_id="<ds-1@tradeport.test>"))
    reply = take(world, message('"info@hanse.de" <info@hanse.de>', subject="RE: Delivery schedule",
                                message_id="<ds-2@hanse.de>"))
    assert reply.thread_key == "<ds-1@tradeport.test>"


# Order of arrival ---------------------------------------------------------------------------

def test_a_parent_arriving_after_its_replies_adopts_them(world):
    """SEND-16: imported out of order, the reply and the reply to it move into the parent's thread."""
    first_reply = take(world, message("info@hanse.de", subject="Re: Pallet sizes", message_id="<p2@hanse.de>",
                                      in_reply_to="<p1@tradeport.test>", references="<p1@tradeport.test>"))
    second_reply = take(world, message("info@tradeport.test", to="info@hanse.de", subject="Re: Pallet sizes",
                                       message_id="<p3@tradeport.test>", in_reply_to="<p2@hanse.de>",
                                       references="<p1@tradeport.test> <p2@hanse.de>"))
    assert first_reply.thread_key == second_reply.thread_key == "<p2@hanse.de>"
    parent = take(world, message("info@tradeport.test", to="info@hanse.de", subject="Pallet sizes",
                                 message_id="<p1@tradeport.test>"))
    assert parent.thread_key == "<p1@tradeport.test>"
    assert {key_of("<p2@hanse.de>"), key_of("<p3@tradeport.test>")} == {"<p1@tradeport.test>"}


def test_adoption_leaves_unrelated_threads_alone(world):
    """SEND-16: a late parent moves only its own replies' thread."""
    take(world, message("info@hanse.de", subject="Re: Pallet sizes", message_id="<p2@hanse.de>",
                        in_reply_to="<p1@tradeport.test>"))
    take(world, message("sales@hanse.de", subject="Invoice 7781", message_id="<inv@hanse.de>"))
    take(world, message("info@tradeport.test", to="info@hanse.de", subject="Pallet sizes",
                        message_id="<p1@tradeport.test>"))
    assert key_of("<p2@hanse.de>") == "<p1@tradeport.test>"
    assert key_of("<inv@hanse.de>") == "<inv@hanse.de>"


def test_a_late_parent_adopts_a_reply_that_named_it_in_references_only(world):
    """SEND-16: a reply naming its parent only in References is adopted too when the parent arrives later."""
    take(world, message("info@hanse.de", subject="Re: Pallet sizes", message_id="<p2@hanse.de>",
                        references="<p1@tradeport.test>"))
    take(world, message("info@tradeport.test", to="info@hanse.de", subject="Pallet sizes",
                        message_id="<p1@tradeport.test>"))
    assert key_of("<p2@hanse.de>") == "<p1@tradeport.test>"


def test_messages_of_one_batch_thread_together(world):
    """SEND-16: in one ingest_batch call, a reply by header and an Outlook reply by subject both join the first mail."""
    results = ingest_batch(mailbox=world["mailbox"], messages=[
        message("info@tradeport.test", to="anna@hanse.de", subject="Test report", message_id="<b1@tradeport.test>"),
        message("anna@hanse.de", subject="Re: Test report", message_id="<b2@hanse.de>",
                in_reply_to="<b1@tradeport.test>"),
        message("anna@hanse.de", subject="RE: Test report", message_id="<b3@hanse.de>"),
        message("buyer@baltic-import.example", subject="RE: Test report", message_id="<b4@baltic.example>"),
    ])
    assert [r.outcome for r in results] == ["stored"] * 4
    assert [r.mail.thread_key for r in results] == [
        "<b1@tradeport.test>", "<b1@tradeport.test>", "<b1@tradeport.test>", "<b4@baltic.example>"]


def test_a_reply_before_its_parent_in_the_same_batch_is_adopted(world):
    """SEND-16: batch order does not matter: the parent later in the batch adopts the reply before it."""
    ingest_batch(mailbox=world["mailbox"], messages=[
        message("anna@hanse.de", subject="Re: Test report", message_id="<b2@hanse.de>",
                in_reply_to="<b1@tradeport.test>"),
        message("info@tradeport.test", to="anna@hanse.de", subject="Test report", message_id="<b1@tradeport.test>"),
    ])
    assert key_of("<b2@hanse.de>") == key_of("<b1@tradeport.test>") == "<b1@tradeport.test>"


def test_a_mail_without_message_id_is_keyed_by_its_content_digest(world):
    """SEND-16, MBOX-08: without a Message-ID the thread key is "sha256:" and the raw bytes' digest."""
    raw = message("info@hanse.de", subject="No id here", message_id=None)
    mail = take(world, raw)
    assert mail.message_id == ""
    assert mail.thread_key == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert mail.thread_key == f"sha256:{mail.raw.sha256}"


def test_a_reply_without_message_id_still_joins_its_parent(world, offer):
    """SEND-16: a reply lacking its own Message-ID joins by In-Reply-To; its digest names no thread."""
    reply = take(world, message("info@hanse.de", subject="Re: Offer 2026-03 steel pipes", message_id=None,
                                in_reply_to="<offer-1@tradeport.test>"))
    assert reply.thread_key == "<offer-1@tradeport.test>"
