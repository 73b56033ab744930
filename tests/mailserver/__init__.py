"""A private Dovecot IMAP/POP3 server for mail-fetching tests (see dovecot.py)."""
