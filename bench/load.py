"""Concurrent clients against `tradeport run` on loopback, optionally while mail is imported.

    python bench/load.py --clients 8 --requests 100
    python bench/load.py --clients 8 --import 10000 --duration 300

Use its own data directory: TRADEPORT_DATA_DIR=var/bench-load (the default here; SQLite unless
TRADEPORT_DATABASE_URL is set). The first run fills it: 100,000 customers (bench/customers_bench.py),
eight accounts with known passwords, a mailbox and 2,000 mails from customers (by `tradeport
import-mail`), so that the follow-up screen and the reading pane have something to show.

Then `tradeport run` starts on a free loopback port (web server, task worker and scheduler, as
in production), each client logs in through the login form as its own account and requests the
workbench, the customer list, the follow-up screen and a reading pane in turn, with no pause
between requests (a closed loop: the worst a busy office does). First one client alone, for the
figures without contention, then all clients together. With --import N, N new mails from
customers are imported by `tradeport import-mail` while the clients run, and the clients stop
when the import ends. Every phase is bounded by --requests per client and by --duration seconds;
the server is stopped at the end, whatever happened. Reported: p50/p95/p99 over all requests and
per page, errors, and every "database is locked" in the responses and the server's log.
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("TRADEPORT_DATA_DIR", str(ROOT / "var" / "bench-load"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")
sys.path.insert(0, str(HERE))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from timing import percentile  # noqa: E402

from tradeport.accounts.functions import EMPLOYEE_TEMPLATE  # noqa: E402
from tradeport.accounts.models import Account  # noqa: E402
from tradeport.accounts.services import template_reset  # noqa: E402
from tradeport.customers.models import Customer  # noqa: E402
from tradeport.mail.models import Delivery, Mail, Mailbox  # noqa: E402

MAILBOX = "sales@tradeport.example"
PASSWORD = "Bench-load-2026"
# Eight accounts: one login each, since a second login of an account ends the first (ACC-04).
ACCOUNTS = ["manager", *(f"sales{n}" for n in range(1, 8))]
LOCKED = "database is locked"


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def prepare(customers: int) -> None:
    """Fill the data directory once; every step is skipped when already done."""
    call_command("migrate", verbosity=0)
    if Customer.objects.count() < customers:
        subprocess.run(python(str(HERE / "customers_bench.py"), "generate", "--customers", str(customers)),
                       check=True, env=os.environ | {"TRADEPORT_ALLOWED_HOSTS": "testserver"})
    connections.close_all()
    for n, username in enumerate(ACCOUNTS):
        account = Account.objects.filter(username=username).first()
        if account is None:  # sales6 and sales7 join the preset accounts, on employees 0007 and 0008
            account = Account(username=username, employee_code=f"{n + 1:04d}")
            account.save()
            account.groups.add(template_reset(EMPLOYEE_TEMPLATE))
        account.set_password(PASSWORD)
        account.must_change_password = False
        account.save()
    Mailbox.objects.get_or_create(address=MAILBOX, defaults={"protocol": "none"})
    if not Mail.objects.filter(message_id__startswith="<seed-").exists():
        path = Path(settings.DATA_DIR) / "seed.mbox"
        write_mbox(path, 2000, prefix="seed")
        subprocess.run(python("-m", "tradeport.cli", "import-mail", str(path), "--mailbox", MAILBOX), check=True)


def write_mbox(path: Path, count: int, *, prefix: str, seed: int = 3) -> None:
    """`count` plain mails from customers' addresses (routed to their owners), Chinese and English."""
    rng = random.Random(seed)
    addresses = list(Customer.objects.order_by("pk").values_list("main_email", flat=True))
    phrases = ["您好，请报最新价格。", "样品收到了，谢谢。", "Please confirm the delivery date.", "We need 500 units."]
    with path.open("wb") as out:
        for n in range(count):
            body = "\n".join(rng.choice(phrases) for _ in range(rng.randint(2, 12)))
            sender = rng.choice(addresses)
            out.write((f"From {sender} Tue Mar  3 10:00:00 2026\n"
                       f"From: Buyer <{sender}>\nTo: {MAILBOX}\nSubject: 询价 Inquiry {prefix} {n}\n"
                       f"Date: Tue, 03 Mar 2026 10:00:00 +0800\nMessage-ID: <{prefix}-{n}@bench.example>\n"
                       "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                       f"Content-Transfer-Encoding: 8bit\n\n{body}\n\n").encode())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One signed-in user: a keep-alive connection and the session cookies."""

    def __init__(self, port: int):
        self.port, self.cookies, self.conn = port, {}, None

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Language": "en", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {"Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"http://127.0.0.1:{self.port}/login/"}
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, content

    def log_in(self, username: str) -> None:
        _status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request("POST", "/login/", urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}))
        assert status == 302, f"{username} could not log in ({status})"


def pages_for(username: str) -> list[tuple[str, str]]:
    account = Account.objects.get(username=username)
    mails = Mail.objects.filter(deleted_at__isnull=True)
    if username != "manager":
        mails = mails.filter(pk__in=Delivery.objects.filter(employee=account.employee).values("mail"))
    mail = mails.order_by("-id").values_list("pk", flat=True).first()
    assert mail is not None, f"{username} has no mail to read"
    return [("workbench", "/"), ("customer list", "/customers/"), ("follow-up screen", "/mail/followup/known/"),
            ("reading pane", f"/mail/{mail}/")]


def client_loop(browser: Browser, pages, requests: int, stop: threading.Event, deadline: float, out: list,
                offset: int) -> None:
    for n in range(requests):
        if stop.is_set() or time.monotonic() > deadline:
            return
        label, path = pages[(n + offset) % len(pages)]
        began = time.perf_counter()
        try:
            status, content = browser.request("GET", path)
        except OSError as error:
            out.append((label, (time.perf_counter() - began) * 1000, f"error {error}", False))
            continue
        elapsed = (time.perf_counter() - began) * 1000
        out.append((label, elapsed, status, LOCKED.encode() in content))


def session_cpu(session: int) -> float:
    """CPU seconds used so far by the processes of one session (the server: web workers, task worker,
    scheduler), from /proc; a figure that other work on a shared machine disturbs less than latency."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[3]) == session:  # fields after the command name: state, ppid, pgrp, session, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def phase(name: str, browsers: dict, pages: dict, requests: int, duration: float, importer=None,
          server_session: int | None = None) -> list:
    stop, results, threads = threading.Event(), {u: [] for u in browsers}, []
    cpu_before = session_cpu(server_session) if server_session else None
    deadline = time.monotonic() + duration
    for offset, (username, browser) in enumerate(browsers.items()):
        threads.append(threading.Thread(target=client_loop, args=(
            browser, pages[username], requests, stop, deadline, results[username], offset)))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    if importer is not None:
        while importer.poll() is None and any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()  # the clients measure while the import runs, not after it
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    stop.set()
    elapsed = time.monotonic() - began
    rows = [row for username in browsers for row in results[username]]
    report(name, rows, elapsed)
    if cpu_before is not None and rows:
        used = session_cpu(server_session) - cpu_before
        print(f"  server CPU: {used:.1f} s, {used * 1000 / len(rows):.0f} ms per request "
              f"({used / elapsed:.2f} cores on average)", flush=True)
    return rows


def report(name: str, rows: list, elapsed: float) -> None:
    if not rows:
        print(f"{name}: no requests")
        return
    times = sorted(r[1] for r in rows)
    errors = [r for r in rows if r[2] != 200]
    locked = sum(1 for r in rows if r[3])
    print(f"{name}: {len(rows)} requests in {elapsed:.1f} s ({len(rows) / elapsed:.1f}/s), "
          f"p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
          f"p99 {percentile(times, 0.99):.0f} ms, max {times[-1]:.0f} ms; "
          f"{len(errors)} errors, {locked} 'database is locked'", flush=True)
    for label in dict.fromkeys(r[0] for r in rows):
        mine = sorted(r[1] for r in rows if r[0] == label)
        print(f"  {label:18s} {len(mine):5d} requests  p50 {statistics.median(mine):6.0f}  "
              f"p95 {percentile(mine, 0.95):6.0f}  p99 {percentile(mine, 0.99):6.0f} ms", flush=True)
    for row in errors[:5]:
        print(f"  error: {row[0]}: {row[2]}")


def stop_process(process: subprocess.Popen, grace: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8, choices=range(1, len(ACCOUNTS) + 1), metavar="1-8")
    parser.add_argument("--requests", type=int, default=100, help="at most this many requests per client and phase")
    parser.add_argument("--import", type=int, default=0, dest="imported", help="import this many mails meanwhile")
    parser.add_argument("--duration", type=float, default=300, help="bound of each phase, in seconds")
    parser.add_argument("--web", metavar="WORKERS:THREADS",
                        help="start `tradeport web --workers W --threads T` alone instead of `tradeport run`")
    args = parser.parse_args(argv)
    prepare(args.customers)
    usernames = ACCOUNTS[:args.clients]
    pages = {u: pages_for(u) for u in usernames}
    mbox = None
    if args.imported:
        mbox = Path(settings.DATA_DIR) / "load.mbox"
        write_mbox(mbox, args.imported, prefix=f"load{int(time.time())}", seed=int(time.time()))
    print(f"{connection.vendor}: {Customer.objects.count():,} customers, {Mail.objects.count():,} mails; "
          f"{args.clients} clients, at most {args.requests} requests each per phase, no pause between requests")
    connections.close_all()

    port = free_port()
    log_path = Path(settings.DATA_DIR) / "server.log"
    env = os.environ | {"TRADEPORT_ALLOWED_HOSTS": "127.0.0.1"}
    with log_path.open("ab") as log:
        command = ["run", "--host", "127.0.0.1", "--port", str(port)]
        if args.web:
            workers, threads = args.web.split(":")
            command = ["web", "--host", "127.0.0.1", "--port", str(port), "--workers", workers, "--threads", threads]
        print(f"server: tradeport {' '.join(command)}", flush=True)
        server = subprocess.Popen(python("-m", "tradeport.cli", *command),
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log_start = log_path.stat().st_size
    importer = None
    try:
        ready_by = time.monotonic() + 120
        while True:
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > ready_by:
                raise SystemExit(f"the server did not start; see {log_path}")
            time.sleep(0.5)
        browsers = {}
        for username in usernames:
            browsers[username] = Browser(port)
            browsers[username].log_in(username)
        first = usernames[0]
        phase("one client alone", {first: browsers[first]}, pages, args.requests, args.duration,
              server_session=server.pid)
        phase(f"{args.clients} clients together", browsers, pages, args.requests, args.duration,
              server_session=server.pid)
        if mbox is not None:
            with (Path(settings.DATA_DIR) / "import.log").open("ab") as log:
                import_start = log.tell()
                importer = subprocess.Popen(python("-m", "tradeport.cli", "import-mail", str(mbox), "--mailbox", MAILBOX),
                                            env=env, stdout=log, stderr=subprocess.STDOUT)
            began = time.monotonic()
            phase(f"{args.clients} clients while importing {args.imported:,} mails", browsers, pages,
                  10**6, args.duration, importer, server_session=server.pid)
            if importer.poll() is None:
                print(f"  the import was still running after {time.monotonic() - began:.0f} s; stopping it")
            else:
                print(f"  import: exit code {importer.returncode}, {time.monotonic() - began:.0f} s")
    finally:
        if importer is not None:
            stop_process(importer)
        stop_process(server, grace=30)  # `tradeport run` stops its web server, worker and scheduler
        if server.returncode == -signal.SIGKILL:
            os.killpg(server.pid, signal.SIGKILL)  # its children, in the session started for it
    with log_path.open("rb") as log:
        log.seek(log_start)
        text = log.read().decode(errors="replace")
    errors = [line for line in text.splitlines() if "Traceback" in line or LOCKED in line or " 500 " in line]
    print(f"server log ({log_path}): {text.count(LOCKED)} 'database is locked', "
          f"{sum(1 for line in errors if 'Traceback' in line)} tracebacks")
    if mbox is not None:
        import_log = (Path(settings.DATA_DIR) / "import.log").read_bytes()[import_start:].decode(errors="replace")
        print(f"import log: {import_log.count(LOCKED)} 'database is locked'; "
              f"{import_log.strip().splitlines()[-1] if import_log.strip() else ''}")


if __name__ == "__main__":
    sys.exit(main())
