"""The data directory and the files that hold the database and the keys are Tradeport's user's alone
(SYS-01, MBOX-01): nobody else on the machine can read the mail, the passwords or the keys."""

import os
import stat
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src"

# Opens the database (so SQLite writes its WAL) and uses the mailbox key, as a running server does.
SCRIPT = """
import django
django.setup()
from django.db import connection
from tradeport.mail import crypto
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
assert crypto.decrypt(crypto.encrypt("secret")) == "secret"
import os, stat, sys
from django.conf import settings
# Read while the connection is open: SQLite removes the WAL when the last connection closes.
for name in sorted(os.listdir(settings.DATA_DIR)):
    path = settings.DATA_DIR / name
    if path.is_file():
        print(name, oct(stat.S_IMODE(path.stat().st_mode)))
"""


def start(data_dir: Path) -> dict[str, str]:
    """The file modes in the data directory, read by a process that has the database open."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRADEPORT_")}
    env.update(TRADEPORT_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="tradeport.settings",
               PYTHONPATH=str(SOURCE))
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, umask=0o022, timeout=120,
                          capture_output=True, text=True)
    return dict(line.split() for line in done.stdout.splitlines())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_is_private(tmp_path):
    """SYS-01, MBOX-01: created 0700; the database, its WAL and both keys 0600, whatever the umask."""
    data = tmp_path / "data"
    modes = start(data)
    assert mode(data) == 0o700
    for name in ("tradeport.sqlite3", "tradeport.sqlite3-wal", "tradeport.sqlite3-shm", "secret_key", "mailbox.key"):
        assert modes.get(name) == "0o600", (name, modes)


def test_an_existing_readable_installation_is_tightened(tmp_path):
    """SYS-01: an installation made before (directory 0755, database 0644) is made private at start."""
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "tradeport.sqlite3").touch(mode=0o644)
    os.chmod(data, 0o755)
    os.chmod(data / "tradeport.sqlite3", 0o644)
    start(data)
    assert mode(data) == 0o700
    assert mode(data / "tradeport.sqlite3") == 0o600
