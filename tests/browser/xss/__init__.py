"""Hostile mail for the reading-pane security tests (see corpus.py)."""
