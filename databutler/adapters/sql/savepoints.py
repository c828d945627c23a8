"""PostgreSQL savepoints of single-statement writes, sent in the round trip of the write itself.

Inside a transaction a refused write must undo only itself, and PostgreSQL undoes nothing by
itself: a failed statement aborts the whole transaction unless a savepoint was set before it.
Through SQLAlchemy each savepoint was two more statements on its execution path (SAVEPOINT,
RELEASE): a ``Butler.put`` on PostgreSQL sent eight statements, and its savepoints were 1.0 ms
of its 1.85.

For a block that promises one write (``Session.writing(one_statement=True)``) the savepoint is
only named here (``defer``). The driver path sends it in a pipeline with the write
(``before_write``: one round trip), and its RELEASE waits for the next write to go along with it
(``release_later``); the transaction's end releases it too. The rules that keep the names right:

- A savepoint the write never sent is dropped when its block ends: nothing was written in it.
- A pending RELEASE is sent before SQLAlchemy sets a savepoint of its own (``send_release``):
  released later it would take SQLAlchemy's, set after it, along.
- Any end of a SQLAlchemy transaction or savepoint (commit, release or rollback) forgets the
  pending RELEASE (``forget``): the savepoint was inside it, and is gone with it.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa

from .driver import driver_errors

_DEFERRED = "databutler.savepoint.deferred"
"""The savepoint to set before the block's write, not sent yet."""
_SENT = "databutler.savepoint.sent"
"""The savepoint the block's write was sent after."""
_RELEASE = "databutler.savepoint.release"
"""A savepoint whose block succeeded, to release with the next write."""
_names = itertools.count()


def defer(connection: sa.Connection) -> str:
    """Name a savepoint for the block's one write to send first; return its name."""
    name = f"databutler_write_{next(_names)}"
    info = _info(connection)
    info[_DEFERRED] = name
    info.pop(_SENT, None)
    return name


def before_write(connection: sa.Connection) -> list[str]:
    """The statements to send ahead of a write, in its round trip: a pending RELEASE, then the deferred savepoint."""
    info = _info(connection)
    statements = []
    release = info.pop(_RELEASE, None)
    if release is not None:
        statements.append(f"RELEASE SAVEPOINT {release}")
    name = info.pop(_DEFERRED, None)
    if name is not None:
        statements.append(f"SAVEPOINT {name}")
        info[_SENT] = name
    return statements


def succeeded(connection: sa.Connection, name: str) -> None:
    """The block of savepoint ``name`` ended well: release it with the next write, if it was sent."""
    info = _info(connection)
    info.pop(_DEFERRED, None)
    if info.pop(_SENT, None) == name:
        info[_RELEASE] = name


def failed(connection: sa.Connection, name: str) -> bool:
    """The block of savepoint ``name`` raised: undo what it wrote; whether the transaction is usable again.

    When the savepoint was never sent, nothing was written in the block, and the transaction is as
    it was unless a statement of the block failed in the database (the caller checks).
    """
    info = _info(connection)
    info.pop(_DEFERRED, None)
    if info.pop(_SENT, None) != name:
        return True
    statement = f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"
    try:
        with driver_errors(connection.dialect, statement):
            connection.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]
    except sa.exc.SQLAlchemyError:  # the connection is lost, or the database refused: the transaction is gone
        return False
    return True


def send_release(connection: sa.Connection) -> None:
    """Send a pending RELEASE now (before a SQLAlchemy savepoint is set)."""
    release = _info(connection).pop(_RELEASE, None)
    if release is not None:
        statement = f"RELEASE SAVEPOINT {release}"
        with driver_errors(connection.dialect, statement):
            connection.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]


def forget(connection: sa.Connection) -> None:
    """A transaction or savepoint of SQLAlchemy's ended: the savepoints inside it are gone."""
    info = _info(connection)
    for key in (_DEFERRED, _SENT, _RELEASE):
        info.pop(key, None)


def _info(connection: sa.Connection) -> dict[Any, Any]:
    """The names kept for the connection's driver connection; an empty dict for an invalidated one.

    A driver connection that was lost takes its savepoints with it: the one that replaces it has
    none, and a new ``info``.
    """
    try:
        return connection.info
    except sa.exc.SQLAlchemyError:
        return {}
