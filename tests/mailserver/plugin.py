"""pytest plugin with the private Dovecot fixtures; load it from tests/conftest.py with

    pytest_plugins = ["mailserver.plugin"]
"""

from mailserver.dovecot import dovecot, dovecot_user
from mailserver.smtp import smtp_sink

__all__ = ["dovecot", "dovecot_user", "smtp_sink"]
