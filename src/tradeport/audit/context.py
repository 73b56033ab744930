"""Who is acting, for log rows written far from the request (signals, services)."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    username: str
    ip_address: str | None = None


SYSTEM_ACTOR = Actor(account_id=None, username="system")
_current: ContextVar[Actor] = ContextVar("tradeport_actor", default=SYSTEM_ACTOR)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor):
    """Set the actor; returns a token for reset_actor()."""
    return _current.set(actor)


def reset_actor(token) -> None:
    _current.reset(token)
