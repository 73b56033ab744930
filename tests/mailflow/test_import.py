import io
import mailbox as mbox_format
import zipfile

import pytest
from django.core.management import CommandError, call_command

from mailflow.conftest import raw_mail
from tradeport.mail.models import Delivery, Mail

pytestmark = pytest.mark.django_db


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import-mail", *map(str, args), stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def foxmail_folder(tmp_path):
    """A Foxmail-style export: received mail in inbox/, sent mail in sendbox/."""
    (tmp_path / "inbox").mkdir()
    (tmp_path / "sendbox").mkdir()
    (tmp_path / "inbox" / "1.eml").write_bytes(raw_mail("info@hanse.de", message_id="<a1@hanse.de>"))
    (tmp_path / "inbox" / "2.eml").write_bytes(raw_mail("stranger@unknown.example", message_id="<a2@x>"))
    (tmp_path / "sendbox" / "3.eml").write_bytes(
        raw_mail("boss@elsewhere.example", to="anna@hanse.de", message_id="<a3@tradeport.test>"))
    return tmp_path


def test_importing_a_folder_twice_imports_nothing_the_second_time(world, foxmail_folder):
    """ADM-11, ADM-12, MBOX-08: a Foxmail export is imported once; the second run reports duplicates only."""
    first = run_import(foxmail_folder, "--mailbox", "info@tradeport.test")
    second = run_import(foxmail_folder, "--mailbox", "info@tradeport.test")
    assert first == "imported=3 duplicates=0 quarantined=0 blocked=0 failed=0"
    assert second == "imported=0 duplicates=3 quarantined=0 blocked=0 failed=0"
    assert Mail.objects.count() == 3


def test_sendbox_mail_is_filed_as_sent_to_the_customer(world, foxmail_folder):
    """ADM-12: files in sendbox/ are sent mail, matched by their recipients."""
    run_import(foxmail_folder, "--mailbox", "info@tradeport.test")
    sent = Mail.objects.get(message_id="<a3@tradeport.test>")
    assert (sent.direction, sent.customer) == (Mail.Direction.OUT, world["customer"])
    received = Mail.objects.get(message_id="<a1@hanse.de>")
    assert (received.direction, received.route) == (Mail.Direction.IN, Mail.Route.CUSTOMER)


def test_followed_up_import_fills_no_queue(world, foxmail_folder):
    """ADM-12: with --followed-up, deliveries start handled and strangers' mail is not undistributed."""
    run_import(foxmail_folder, "--mailbox", "info@tradeport.test", "--followed-up")
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()
    assert Delivery.objects.filter(state=Delivery.State.HANDLED).count() == 2
    stranger = Mail.objects.get(message_id="<a2@x>")
    assert stranger.route == Mail.Route.ARCHIVED


def test_zip_and_mbox_archives_are_imported(world, tmp_path):
    """ADM-11: a .zip of .eml files and an .mbox file are read message by message."""
    archive = tmp_path / "old.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("inbox/1.eml", raw_mail("info@hanse.de", message_id="<z1@hanse.de>"))
        zipped.writestr("notes.txt", "not mail")
    box_path = tmp_path / "old.mbox"
    box = mbox_format.mbox(str(box_path))
    for n in range(3):
        box.add(raw_mail("sales@hanse.de", message_id=f"<mb{n}@hanse.de>"))
    box.flush()
    box.close()
    assert run_import(archive, box_path, "--mailbox", "info@tradeport.test") == \
        "imported=4 duplicates=0 quarantined=0 blocked=0 failed=0"


def test_a_malformed_file_is_quarantined_and_the_import_goes_on(world, tmp_path):
    """MAIL-20, ADM-12: a file that is not mail is quarantined; the rest is imported."""
    (tmp_path / "bad.eml").write_bytes(b"\x00\x01 not mail at all")
    (tmp_path / "good.eml").write_bytes(raw_mail("info@hanse.de", message_id="<g1@hanse.de>"))
    assert run_import(tmp_path, "--mailbox", "info@tradeport.test") == \
        "imported=1 duplicates=0 quarantined=1 blocked=0 failed=0"


def test_an_unknown_mailbox_is_a_clear_error(world, tmp_path):
    """ADM-11: importing into a mailbox that does not exist says how to add it."""
    with pytest.raises(CommandError, match="add it first"):
        run_import(tmp_path, "--mailbox", "nobody@tradeport.test")
