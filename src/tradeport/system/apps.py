from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "tradeport.system"
    verbose_name = _("System")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tradeport.system import audit_hooks  # noqa: F401

        connection_created.connect(_private_database)


def _private_database(sender, connection, **kwargs) -> None:
    """SYS-01: the SQLite database and its -wal and -shm files are the Tradeport user's alone. SQLite creates
    them with the umask's mode; the -wal and -shm files it creates later copy the database file's mode."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    from pathlib import Path

    from tradeport.conf import make_private

    database = Path(connection.settings_dict["NAME"])
    make_private(database, Path(f"{database}-wal"), Path(f"{database}-shm"))
