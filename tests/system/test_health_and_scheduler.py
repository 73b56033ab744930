"""Health check, the scheduler and its jobs, presets and the `tradeport` command (ACC-04, ACC-06, section 26)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import tradeport
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account, OnlineSession
from tradeport.audit.models import SystemLogEntry
from tradeport.system.models import Heartbeat, PresetLoad, ScheduledJob
from tradeport.system.presets import load_all
from tradeport.system.schedule import JOBS, run_due_jobs

pytestmark = pytest.mark.django_db
PRESET_NAMES = {"admin", "manager", "sales1", "sales2", "sales3", "sales4", "sales5"}


# /healthz ------------------------------------------------------------------------------

def test_healthz_answers_json_without_login(client):
    """Operations: /healthz is open, not cached, and reports version, database and heartbeats."""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert set(body) == {"version", "database", "worker_last_seen", "scheduler_last_seen"}
    assert body["version"] == tradeport.__version__
    assert body["database"] is True
    assert body["worker_last_seen"] is None
    assert body["scheduler_last_seen"] is None


def test_healthz_refuses_post(client):
    """Operations: /healthz is read-only."""
    assert client.post(reverse("healthz")).status_code == 405


def test_healthz_is_open_for_logged_in_users_from_anywhere(client, salesperson, signed_in):
    """Operations: the health check is not subject to the network guard (a load balancer calls it)."""
    signed_in(client, salesperson)
    assert client.get(reverse("healthz"), REMOTE_ADDR="203.0.113.9").status_code == 200
    assert OnlineSession.objects.filter(account=salesperson).exists()


# Scheduler ------------------------------------------------------------------------------

def test_run_due_jobs_enqueues_every_job_and_sets_heartbeats(client):
    """26: the first pass enqueues every job; the worker heartbeat task runs and /healthz shows both."""
    enqueued = run_due_jobs()
    assert sorted(enqueued) == sorted(job.name for job in JOBS)
    assert {"worker_heartbeat", "expire_idle_logins"} <= set(enqueued)
    beats = {b.name: b.last_seen_at for b in Heartbeat.objects.all()}
    assert set(beats) == {"scheduler", "worker"}
    assert all(timezone.now() - seen < timezone.timedelta(minutes=1) for seen in beats.values())
    body = client.get(reverse("healthz")).json()
    assert body["scheduler_last_seen"] is not None
    assert body["worker_last_seen"] is not None


def test_second_run_right_after_enqueues_nothing(db):
    """26: a job is enqueued once per interval, even if the scheduler checks again at once."""
    now = timezone.now()
    assert run_due_jobs(now=now)
    assert run_due_jobs(now=now + timezone.timedelta(seconds=5)) == []
    assert run_due_jobs() == []


def test_jobs_are_enqueued_again_after_their_interval(db):
    """26, SYS-04: after its interval a job is due again: the minute jobs after a minute, the recycle bin after six hours."""
    now = timezone.now()
    run_due_jobs(now=now)
    minute = timezone.timedelta(minutes=1)
    assert sorted(run_due_jobs(now=now + timezone.timedelta(minutes=1, seconds=1))) == sorted(
        j.name for j in JOBS if j.every <= minute)
    assert ScheduledJob.objects.get(name="worker_heartbeat").last_enqueued_at == now + timezone.timedelta(minutes=1, seconds=1)
    assert "purge_recycle_bin" in run_due_jobs(now=now + timezone.timedelta(hours=6, seconds=1))


def test_scheduler_heartbeat_moves_even_when_nothing_is_due(db):
    """26: every pass proves the scheduler is alive."""
    now = timezone.now()
    run_due_jobs(now=now)
    later = now + timezone.timedelta(seconds=20)
    run_due_jobs(now=later)
    assert Heartbeat.objects.get(name="scheduler").last_seen_at == later


def test_scheduler_expires_idle_logins(salesperson, signed_in):
    """ACC-04, 26: the scheduled job frees the seats of idle logins and logs 'timeout'."""
    from django.test import Client

    signed_in(Client(), salesperson)
    OnlineSession.objects.update(last_seen_at=timezone.now() - timezone.timedelta(hours=1))
    run_due_jobs()
    assert not OnlineSession.objects.exists()
    assert SystemLogEntry.objects.filter(username="lily", event=SystemLogEntry.Event.TIMEOUT).exists()


def test_scheduler_command_runs_one_pass(transactional_db):
    """26: `tradeport scheduler --once` enqueues the due jobs and exits.

    The command closes stale connections between passes, so it runs outside a test transaction.
    """
    call_command("scheduler", "--once")
    assert Heartbeat.objects.filter(name="scheduler").exists()
    assert ScheduledJob.objects.filter(last_enqueued_at__isnull=False).count() == len(JOBS)


# Presets (ACC-06) ---------------------------------------------------------------------------

def test_presets_load_once(db):
    """ACC-01, ACC-06: loading twice creates admin, manager and sales1..5 exactly once."""
    assert "accounts" in load_all()
    assert load_all() == []
    assert sorted(Account.objects.values_list("username", flat=True)) == sorted(PRESET_NAMES)
    assert PresetLoad.objects.filter(name="accounts").count() == 1


def test_preset_accounts_have_templates_codes_and_forced_password_change(db):
    """ACC-06, ACC-12: manager template for `manager`, employee template for sales1..5, codes 0001..0006."""
    load_all()
    manager = Account.objects.get(username="manager")
    assert list(manager.groups.values_list("name", flat=True)) == [MANAGER_TEMPLATE]
    assert manager.employee_code == "0001"
    for n in range(1, 6):
        sales = Account.objects.get(username=f"sales{n}")
        assert list(sales.groups.values_list("name", flat=True)) == [EMPLOYEE_TEMPLATE]
        assert sales.employee_code == f"{n + 1:04d}"
        assert sales.must_change_password
        assert sales.check_password(f"sales{n}")
    admin = Account.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.must_change_password
    assert admin.check_password("admin")


def test_deleted_preset_account_is_not_recreated(db):
    """ACC-06, ACC-11: a company that deleted sales3 does not get it back on the next start."""
    load_all()
    Account.objects.get(username="sales3").delete()
    assert load_all() == []
    assert not Account.objects.filter(username="sales3").exists()
    assert Account.objects.filter(username="sales4").exists()


def test_changed_preset_password_survives_reloading(db):
    """ACC-06: loading presets again never resets an account."""
    load_all()
    manager = Account.objects.get(username="manager")
    manager.set_password("Harbour-Lights-42")
    manager.must_change_password = False
    manager.save()
    load_all()
    manager.refresh_from_db()
    assert manager.check_password("Harbour-Lights-42")
    assert not manager.must_change_password


def test_presets_command_reports_what_it_loaded(db, capsys):
    """ACC-06: `tradeport presets` says what it loaded, and is safe to run again."""
    call_command("presets")
    out = capsys.readouterr().out
    assert "presets loaded:" in out
    assert "accounts" in out
    call_command("presets")
    assert "presets already loaded" in capsys.readouterr().out
    assert Account.objects.count() == len(PRESET_NAMES)


# The `tradeport` command ----------------------------------------------------------------------

def test_tradeport_help_lists_its_commands(tmp_path):
    """Operations: `tradeport --help` lists run, scheduler, presets, web and migrate."""
    script = Path(sys.executable).parent / "tradeport"
    assert script.exists(), f"console script missing: {script}"
    env = {**os.environ, "TRADEPORT_DATA_DIR": str(tmp_path)}
    env.pop("TRADEPORT_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    listed = {line.strip() for line in result.stdout.splitlines()}
    assert {"run", "scheduler", "presets", "web", "migrate"} <= listed
