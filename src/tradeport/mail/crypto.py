"""Mailbox passwords at rest: Fernet (AES-128-CBC + HMAC) with a key kept apart from the database.

The key is TRADEPORT_MAILBOX_KEY (or its _FILE), else `mailbox.key` in the data
directory, generated once. Losing the key loses the stored passwords, not the mail.
"""

import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from tradeport.conf import env_str


@cache
def _fernet() -> Fernet:
    key = env_str("TRADEPORT_MAILBOX_KEY")
    if not key:
        path = settings.DATA_DIR / "mailbox.key"
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(Fernet.generate_key())
        key = path.read_text().strip()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    """The stored password; raises ValueError when the key no longer matches."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("the mailbox password cannot be decrypted with this installation's key") from None
