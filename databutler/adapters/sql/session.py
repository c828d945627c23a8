"""The registry's single connection and the transaction discipline every operation runs in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ...domain.errors import ReadOnlyError, RegistryError
from ...ports.capabilities import RegistryCapability
from .engine import begin
from .errors import translated

Transaction = sa.RootTransaction | sa.NestedTransaction


class Session:
    """One connection, with reads in short deferred transactions and writes in immediate ones.

    Writes nest: inside an open transaction a write gets a savepoint, so a refused write undoes
    only itself. ``on_rollback`` runs whenever a transaction that may have written is rolled back,
    so that callers can forget what they remembered inside it.
    """

    def __init__(self, engine: sa.Engine, connection: sa.Connection, *, writeable: bool, name: str,
                 on_rollback: Callable[[], None]) -> None:
        self._engine = engine
        self._connection = connection
        self._writeable = writeable
        self._name = name
        self._on_rollback = on_rollback
        self._sqlite = engine.dialect.name == "sqlite"
        self._closed = False

    def close(self) -> None:
        """Close the connection and dispose of the engine (a second call does nothing)."""
        if not self._closed:
            self._closed = True
            dispose(self._engine, self._connection)

    def check_open(self) -> None:
        """Refuse to work once closed (answers from memory included)."""
        if self._closed:
            raise RegistryError(f"{self._name} is closed")

    @contextmanager
    def _scope(self, transaction: Transaction, *, undo: bool) -> Iterator[sa.Connection]:
        """Run the block in ``transaction``: commit if it succeeds, roll back if anything escapes."""
        try:
            yield self._connection
        except BaseException:
            self._rollback(transaction, undo)
            raise
        try:
            with translated("commit"):
                transaction.commit()
        except BaseException:
            self._rollback(transaction, undo)
            raise

    def _rollback(self, transaction: Transaction, undo: bool) -> None:
        if undo:
            self._on_rollback()
        try:
            if transaction.is_active:
                transaction.rollback()
        except sa.exc.SQLAlchemyError:
            pass  # the connection is unusable; the original error is what the caller needs

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction (a savepoint when one is open) around the block, rolled back if it raises."""
        self.check_open()
        with translated("begin a transaction"):
            if self._connection.in_transaction():
                transaction: Transaction = self._connection.begin_nested()
            else:
                transaction = begin(self._connection, write=self._writeable)
        with self._scope(transaction, undo=True):
            yield

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """The connection, inside the current transaction or a short deferred (read) one."""
        self.check_open()
        if self._connection.in_transaction():
            yield self._connection
            return
        with self._scope(begin(self._connection, write=False), undo=False) as connection:
            yield connection

    @contextmanager
    def writing(self, action: str, *, atomic: bool = False) -> Iterator[sa.Connection]:
        """The connection, in a write transaction whose failure undoes everything the block wrote.

        ``atomic`` promises the block writes with at most one statement, which SQLite undoes by
        itself when it fails; otherwise a block inside a transaction gets its own savepoint.
        """
        self.check_open()
        if not self._writeable:
            raise ReadOnlyError(f"{self._name} was opened read-only (it lacks the capability "
                                f"{RegistryCapability.WRITE.value!r}); cannot {action}")
        if not self._connection.in_transaction():
            transaction: Transaction = begin(self._connection, write=True)
        elif atomic and self._sqlite:
            yield self._connection
            return
        else:
            transaction = self._connection.begin_nested()
        with self._scope(transaction, undo=True) as connection:
            yield connection


def dispose(engine: sa.Engine, connection: sa.Connection | None) -> None:
    """Close ``connection`` (if any) and dispose of ``engine``, ignoring driver errors."""
    try:
        if connection is not None:
            connection.close()
    except sa.exc.SQLAlchemyError:
        pass
    finally:
        engine.dispose()
