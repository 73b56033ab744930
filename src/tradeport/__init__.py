"""Tradeport: a foreign-trade CRM built around the company mailbox."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tradeport")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
