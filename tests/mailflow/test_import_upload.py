"""External mail import through the admin console (ADM-11, ADM-12), and the command's progress output."""

import importlib
import io
import zipfile
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from mailflow.conftest import raw_mail
from matrix import check_matrix
from tradeport.mail import tasks
from tradeport.mail.importing import ImportCounts, import_sources, progress_bar
from tradeport.mail.models import Delivery, ImportJob, Mail, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads are kept under the data directory until their job ends; give each test its own."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def console(client, admin_account):
    return sign_in(client, admin_account)


def foxmail_zip() -> bytes:
    """A Foxmail export: two received mails in inbox/, one sent mail in sendbox/, and a stray note."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/inbox/1.eml", raw_mail("sales@hanse.de", message_id="<z1@hanse.de>"))
        archive.writestr("export/inbox/2.eml", raw_mail("buyer@unknown.example", message_id="<z2@unknown.example>"))
        archive.writestr("export/sendbox/3.eml", raw_mail("old-laptop@elsewhere.example", to="Anna <anna@hanse.de>",
                                                          message_id="<z3@tradeport.test>"))
        archive.writestr("export/readme.txt", "exported by Foxmail")
    return buffer.getvalue()


def uploads() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("Angebot.EML", raw_mail("info@hanse.de", message_id="<e1@hanse.de>"), "message/rfc822"),
        SimpleUploadedFile("stranger.eml", raw_mail("someone@unknown.example", message_id="<e2@unknown.example>"),
                           "message/rfc822"),
        SimpleUploadedFile("foxmail.zip", foxmail_zip(), "application/zip"),
    ]


def upload(console, world, files, *, direction="inbox", followed_up=False):
    data = {"mailbox": world["mailbox"].pk, "files": files, "direction": direction}
    if followed_up:
        data["followed_up"] = "on"
    return console.post(reverse("mail:import_list"), data)


def test_an_upload_is_imported_with_progress_and_counts(console, world, admin_account, data_dir):
    """ADM-11, ADM-12: two .eml files and a .zip run as one job; the list shows it done at 100% with its counts."""
    response = upload(console, world, uploads())
    assert response.status_code == 302
    assert response["Location"] == reverse("mail:import_list")
    job = ImportJob.objects.get()
    assert (job.state, job.total, job.done, job.percent) == (ImportJob.State.DONE, 5, 5, 100)
    assert (job.imported, job.duplicates, job.quarantined, job.blocked, job.failed) == (5, 0, 0, 0, 0)
    assert (job.mailbox, job.uploaded_by, job.sent, job.followed_up) == (world["mailbox"], admin_account, False, False)
    assert job.filenames == ["Angebot.EML", "stranger.eml", "foxmail.zip"]
    assert job.finished_at is not None
    assert not (data_dir / job.folder).exists()  # the uploaded files are removed once the job is done

    page = console.get(reverse("mail:import_list"))
    html = page.content.decode()
    assert f'id="import-{job.pk}" data-state="done"' in html
    assert 'aria-valuenow="100"' in html
    assert "imported 5, duplicates 0, quarantined 0, blocked 0, failed 0" in html
    assert "Angebot.EML, stranger.eml, foxmail.zip" in html
    assert "hx-trigger" not in html.split(f'id="import-{job.pk}"')[1].split(">")[0]  # a finished row stops polling


def test_uploaded_mail_is_routed_like_received_mail(console, world):
    """ADM-12, MAIL-20, MAIL-19: known customers' mail reaches both owners; strangers wait; sendbox is sent mail."""
    upload(console, world, uploads())
    customer_mail = Mail.objects.get(message_id="<e1@hanse.de>")
    assert (customer_mail.route, customer_mail.customer) == (Mail.Route.CUSTOMER, world["customer"])
    assert set(customer_mail.deliveries.values_list("employee__code", "state")) == {
        ("0002", "pending"), ("0003", "pending")}
    assert Mail.objects.get(message_id="<z1@hanse.de>").route == Mail.Route.CUSTOMER
    assert Mail.objects.get(message_id="<z2@unknown.example>").route == Mail.Route.UNDISTRIBUTED
    sent = Mail.objects.get(message_id="<z3@tradeport.test>")
    assert (sent.direction, sent.route, sent.customer) == (Mail.Direction.OUT, Mail.Route.OUTGOING, world["customer"])
    assert Delivery.objects.count() == 4


def test_uploading_the_same_files_again_imports_nothing(console, world):
    """ADM-11, ADM-12, MBOX-08: the second upload of the same files counts every message as a duplicate."""
    upload(console, world, uploads())
    upload(console, world, uploads())
    first, second = ImportJob.objects.order_by("pk")
    assert (first.imported, first.duplicates) == (5, 0)
    assert (second.state, second.imported, second.duplicates, second.percent) == (ImportJob.State.DONE, 0, 5, 100)
    assert Mail.objects.count() == 5
    assert Delivery.objects.count() == 4


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notes.txt", b"just some notes", "notes.txt is not an .eml, .zip, .mbox or .msg file."),
    ("archive.zip", b"PK\x03\x04 this is not really a zip archive", "archive.zip is not a readable .zip archive."),
    ("empty.eml", b"", "The submitted file is empty."),
])
def test_a_file_that_cannot_be_imported_is_refused_by_the_form(console, world, data_dir, name, content, message):
    """ADM-11: a wrong file type, a corrupt .zip or an empty file is named in a form error; no job starts."""
    good = SimpleUploadedFile("good.eml", raw_mail("info@hanse.de"))
    response = upload(console, world, [good, SimpleUploadedFile(name, content)])
    assert response.status_code == 200
    assert message in response.context["form"].errors["files"]
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Mail.objects.exists()
    assert not (data_dir / "imports").exists()


def test_the_form_needs_a_mailbox(console, world):
    """ADM-11: without a mailbox nothing is started."""
    response = console.post(reverse("mail:import_list"), {
        "mailbox": "", "direction": "inbox", "files": SimpleUploadedFile("a.eml", raw_mail("info@hanse.de"))})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"mailbox"}
    assert not ImportJob.objects.exists()


def test_the_form_needs_at_least_one_file(console, world, data_dir):
    """ADM-11: [Import] without any file is a form error, not an empty job."""
    response = console.post(reverse("mail:import_list"), {"mailbox": world["mailbox"].pk, "direction": "inbox"})
    assert response.status_code == 200
    assert "files" in response.context["form"].errors
    assert not ImportJob.objects.exists()


def test_sent_direction_files_the_mail_as_outgoing(console, world):
    """ADM-12: files marked as sent mail become our outgoing mail, matched to the customer by recipient."""
    sent_copy = raw_mail("former.colleague@elsewhere.example", to="Anna <anna@hanse.de>",
                         message_id="<s1@tradeport.test>")
    upload(console, world, [SimpleUploadedFile("offer.eml", sent_copy)], direction="sent")
    job = ImportJob.objects.get()
    assert (job.sent, job.imported) == (True, 1)
    mail = Mail.objects.get()
    assert (mail.direction, mail.route, mail.customer, mail.contact) == (
        Mail.Direction.OUT, Mail.Route.OUTGOING, world["customer"], world["anna"])
    assert not mail.deliveries.exists()


def test_followed_up_files_strangers_mail_as_archived_with_handled_deliveries(console, world):
    """ADM-12: with [Already followed up], deliveries start handled and strangers' mail is not undistributed."""
    upload(console, world, uploads(), followed_up=True)
    assert ImportJob.objects.get().followed_up is True
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.HANDLED}
    assert Delivery.objects.count() == 4
    stranger = Mail.objects.get(message_id="<e2@unknown.example>")
    assert stranger.route == Mail.Route.ARCHIVED
    assert stranger.route_reason.endswith("(imported as already handled)")
    assert not Mail.objects.filter(route=Mail.Route.UNDISTRIBUTED).exists()


def test_the_progress_fragment_renders_a_running_job(console, world):
    """ADM-11: the htmx row of a running job shows its percentage and keeps polling itself."""
    job = ImportJob.objects.create(mailbox=world["mailbox"], folder="imports/running", filenames=["big.zip"],
                                   state=ImportJob.State.RUNNING, total=400, done=100, imported=90, duplicates=10)
    url = reverse("mail:import_progress", args=[job.pk])
    response = console.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="import-{job.pk}" data-state="running"')
    assert f'hx-get="{url}"' in html
    assert "25%" in html
    assert "100/400" in html
    assert "imported 90, duplicates 10" in html
    assert "Run again" not in html
    assert console.get(reverse("mail:import_progress", args=[job.pk + 1000])).status_code == 404


def test_a_stalled_job_stops_polling_and_offers_a_rerun(console, world):
    """ADM-11: a running job without progress for ten minutes is shown stalled, with [Run again]."""
    job = ImportJob.objects.create(mailbox=world["mailbox"], folder="imports/stalled", filenames=["big.zip"],
                                   state=ImportJob.State.RUNNING, total=400, done=100,
                                   updated_at=timezone.now() - timezone.timedelta(minutes=11))
    html = console.get(reverse("mail:import_progress", args=[job.pk])).content.decode()
    assert "Stalled: no progress for ten minutes." in html
    assert "hx-get" not in html
    assert reverse("mail:import_rerun", args=[job.pk]) in html


def test_a_failed_job_keeps_its_files_and_runs_again(console, world, data_dir):
    """ADM-11: a broken archive fails the job with the reason; once fixed, [Run again] imports the files."""
    folder = data_dir / "imports" / "failed-once"
    folder.mkdir(parents=True)
    (folder / "0000.zip").write_bytes(b"not a zip at all")
    (folder / "0001.eml").write_bytes(raw_mail("info@hanse.de", message_id="<rr1@hanse.de>"))
    job = ImportJob.objects.create(mailbox=world["mailbox"], folder="imports/failed-once",
                                   filenames=["broken.zip", "one.eml"])
    assert tasks.run_import_job.call(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert len(job.errors) == 1
    assert job.errors[0].startswith("BadZipFile")
    assert folder.is_dir()
    assert "Run again" in console.get(reverse("mail:import_list")).content.decode()

    (folder / "0000.zip").unlink()
    response = console.post(reverse("mail:import_rerun", args=[job.pk]), follow=True)
    assert "The import runs again." in response.content.decode()
    job.refresh_from_db()
    assert (job.state, job.imported, job.errors, job.percent) == (ImportJob.State.DONE, 1, [], 100)
    assert Mail.objects.get().message_id == "<rr1@hanse.de>"
    assert not folder.exists()


def test_a_rerun_after_partial_progress_counts_the_stored_mail_as_duplicates(console, world, data_dir):
    """ADM-11, MBOX-08: a job marked failed with its files still present imports only what is missing."""
    folder = data_dir / "imports" / "half-done"
    folder.mkdir(parents=True)
    first, second = raw_mail("info@hanse.de", message_id="<h1@hanse.de>"), raw_mail("x@unknown.example",
                                                                                    message_id="<h2@x>")
    (folder / "0000.eml").write_bytes(first)
    (folder / "0001.eml").write_bytes(second)
    from tradeport.mail.services import message_ingest

    message_ingest(mailbox=world["mailbox"], raw=first)
    job = ImportJob.objects.create(mailbox=world["mailbox"], folder="imports/half-done", filenames=["a.eml", "b.eml"],
                                   state=ImportJob.State.FAILED, total=2, done=1, imported=1,
                                   errors=["OperationalError: server closed the connection"])
    console.post(reverse("mail:import_rerun", args=[job.pk]))
    job.refresh_from_db()
    assert (job.state, job.total, job.done, job.imported, job.duplicates, job.errors) == (
        ImportJob.State.DONE, 2, 2, 1, 1, [])


@pytest.mark.parametrize(("state", "stale", "message"), [
    (ImportJob.State.DONE, False, "This import is not failed or stalled."),
    (ImportJob.State.RUNNING, False, "This import is not failed or stalled."),
    (ImportJob.State.FAILED, False, "The uploaded files are gone; upload them again."),
])
def test_a_rerun_is_refused_when_it_cannot_help(console, world, state, stale, message):
    """ADM-11: only a failed or stalled job whose files remain can run again."""
    job = ImportJob.objects.create(mailbox=world["mailbox"], folder="imports/gone", filenames=["a.eml"], state=state)
    response = console.post(reverse("mail:import_rerun", args=[job.pk]), follow=True)
    assert message in response.content.decode()
    job.refresh_from_db()
    assert job.state == state


def test_import_pages_are_for_the_administrator_only(roles):
    """PERM-14, ADM-11: the import pages join the matrix: only the built-in admin, even by POST."""
    mailbox = Mailbox.objects.create(address="archive@tradeport.test", protocol="none")
    job = ImportJob.objects.create(mailbox=mailbox, folder="imports/none", filenames=["a.eml"],
                                   state=ImportJob.State.FAILED)
    for url in (reverse("mail:import_list"), reverse("mail:import_progress", args=[job.pk])):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=403, admin=200)
    rerun = reverse("mail:import_rerun", args=[job.pk])
    check_matrix(rerun, users=roles, anonymous=302, outsider=403, salesperson=403, manager=403, admin=405)
    check_matrix(rerun, users=roles, method="post", anonymous=302, outsider=403, salesperson=403, manager=403)
    check_matrix(reverse("mail:import_list"), users=roles, method="post", anonymous=302, outsider=403,
                 salesperson=403, manager=403, data={"mailbox": mailbox.pk, "direction": "inbox",
                                                     "files": SimpleUploadedFile("a.eml", raw_mail("x@hanse.de"))})
    assert list(ImportJob.objects.values_list("state", flat=True)) == [ImportJob.State.FAILED]
    assert not Mail.objects.exists()


def test_an_upload_without_a_csrf_token_is_refused(admin_account, world):
    """ADM-11: the upload form is protected against cross-site requests."""
    browser = sign_in(Client(enforce_csrf_checks=True), admin_account)
    response = browser.post(reverse("mail:import_list"), {
        "mailbox": world["mailbox"].pk, "direction": "inbox",
        "files": SimpleUploadedFile("a.eml", raw_mail("info@hanse.de"))})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
    assert not Mail.objects.exists()


# Progress for the command line -------------------------------------------------------------

def test_progress_bar_for_a_half_done_import():
    """ADM-11: one line with bar, share, counts, rate and time left."""
    counts = ImportCounts(total=10_000, done=5_000)
    assert progress_bar(counts, elapsed=10.0) == (
        "[###############---------------]  50%  5,000/10,000  500 msg/s  ETA 10 s")
    assert progress_bar(counts, elapsed=10.0, width=10) == "[#####-----]  50%  5,000/10,000  500 msg/s  ETA 10 s"


def test_progress_bar_at_the_start_and_for_nothing_to_do():
    """ADM-11: no elapsed time gives no rate and no estimate; an empty import is complete."""
    assert progress_bar(ImportCounts(total=200, done=0), elapsed=0.0) == (
        "[------------------------------]   0%  0/200  0 msg/s  ETA 0 s")
    assert progress_bar(ImportCounts(total=0, done=0), elapsed=0.0).startswith("[" + "#" * 30 + "] 100%  0/0")


def test_the_import_command_prints_a_progress_line_per_tenth_when_not_on_a_terminal(world, tmp_path, monkeypatch):
    """ADM-11: without a terminal, stderr gets plain progress lines (one per tenth); stdout ends with the summary."""
    for number in range(20):
        (tmp_path / f"{number:02d}.eml").write_bytes(raw_mail("info@hanse.de", message_id=f"<cli{number}@hanse.de>"))
    command = importlib.import_module("tradeport.mail.management.commands.import-mail")
    monkeypatch.setattr(command, "import_sources", partial(import_sources, batch=1))  # a progress call per message
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal
    out, err = io.StringIO(), io.StringIO()
    call_command("import-mail", str(tmp_path), "--mailbox", "info@tradeport.test", stdout=out, stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0] == "Reading the sources…"
    bars = lines[1:]
    assert len(bars) == 11  # 1/20 starts the first tenth; after that one line per tenth up to 20/20
    assert all(line.startswith("[") and "msg/s  ETA" in line for line in bars)
    assert "\r" not in err.getvalue()
    assert "]   5%  1/20  " in bars[0]
    assert "  50%  10/20  " in bars[5]
    assert bars[-1].startswith("[" + "#" * 30 + "] 100%  20/20  ")
    assert out.getvalue().strip().splitlines()[-1] == "imported=20 duplicates=0 quarantined=0 blocked=0 failed=0"
    assert Mail.objects.count() == 20
