"""Translation of SQLAlchemy and DBAPI exceptions into databutler's domain errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

from ...domain.errors import ConflictingDefinitionError, DataButlerError, RegistryError
from .credentials import mask_secrets

P = ParamSpec("P")
R = TypeVar("R")


def driver_message(err: BaseException) -> str:
    """The driver's own one-line message for ``err``, without SQL text or parameters."""
    original = getattr(err, "orig", None)
    text = str(original if original is not None else err).strip()
    return mask_secrets(text.splitlines()[0]) if text else type(err).__name__


MAX_CONNECTIONS_PER_REGISTRY = 4
"""Connections one registry opens to a server at most: its session, a streaming query, SQL SELECTs, one spare."""
_REFUSED = ("too many clients", "remaining connection slots are reserved", "too many connections",
            "connection slots")
"""What PostgreSQL (and others) say when refusing a connection for want of slots."""


def translate(err: Exception, action: str) -> DataButlerError:
    """Return the domain error that reports driver exception ``err`` raised while ``action``."""
    message = driver_message(err)
    if isinstance(err, sa.exc.IntegrityError):
        return ConflictingDefinitionError(f"cannot {action}: it conflicts with what the registry holds "
                                          f"({message})")
    lowered = message.lower()
    if any(text in lowered for text in _REFUSED):
        return RegistryError(f"cannot {action}: the database server refused a new connection ({message}): too many "
                             "clients are connected at once. One registry opens at most "
                             f"{MAX_CONNECTIONS_PER_REGISTRY} connections; run fewer processes at once, put a "
                             "connection pooler (PgBouncer) in front of the server, or raise its max_connections")
    if isinstance(err, sa.exc.TimeoutError):
        return RegistryError(f"cannot {action}: all {MAX_CONNECTIONS_PER_REGISTRY} connections of this registry stayed "
                             f"busy ({message}); too many threads share one registry: give each its own")
    if "locked" in lowered or "lock timeout" in lowered:
        return RegistryError(f"cannot {action}: the database stayed locked by another writer longer than "
                             f"the busy timeout ({message}); retry, or raise busy_timeout_s")
    if "permission denied" in lowered:
        return RegistryError(f"cannot {action}: the database role lacks a privilege it needs ({message}); the "
                             "database's operators grant it, or keep this step for a role that has it")
    if "no such table" in lowered or "does not exist" in lowered:
        return RegistryError(f"cannot {action}: the registry schema is missing or damaged ({message})")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return RegistryError(f"cannot {action}: the registry database file is damaged ({message})")
    return RegistryError(f"cannot {action}: {message}")


UNSENDABLE = (OverflowError, UnicodeError)
"""What a driver raises for a value it cannot send (an int beyond 64 bits, a lone surrogate).

The domain refuses such values first (``domain.values``); this is the last resort, so that one it
missed still reaches the caller as a domain error.
"""


def translate_unsendable(err: Exception, action: str) -> DataButlerError:
    """The domain error for a value the driver could not send while ``action``."""
    return RegistryError(f"cannot {action}: a value cannot be stored by the database "
                         f"({type(err).__name__}: {mask_secrets(str(err).splitlines()[0] if str(err) else '')})")


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Re-raise any SQLAlchemy or DBAPI exception inside the block as a domain error."""
    try:
        yield
    except sa.exc.SQLAlchemyError as err:
        raise translate(err, action) from None
    except UNSENDABLE as err:
        if isinstance(err, DataButlerError):
            raise
        raise translate_unsendable(err, action) from None


def translating(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a method so no driver exception escapes it (``action`` names it in messages)."""
    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except sa.exc.SQLAlchemyError as err:
                raise translate(err, action) from None
            except UNSENDABLE as err:
                if isinstance(err, DataButlerError):
                    raise
                raise translate_unsendable(err, action) from None
        return wrapper
    return decorate
