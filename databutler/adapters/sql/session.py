"""The registry's single connection and the transaction discipline every operation runs in."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ...domain.errors import ReadOnlyError, RegistryError
from ...ports.capabilities import RegistryCapability
from . import savepoints
from .engine import begin, clear_begin, is_memory, without_begin
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
        self._memory = is_memory(engine.url)
        self._closed = False
        self._unbracketed = False
        """Whether a read of single statements runs outside any transaction (see ``_single_statements``)."""
        self._lost = False
        """Whether the database ended the open transaction by itself (after an interrupted or failed statement)."""

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def close(self) -> None:
        """Close the connection and dispose of the engine (a second call does nothing)."""
        if not self._closed:
            self._closed = True
            dispose(self._engine, self._connection)

    def check_open(self) -> None:
        """Refuse to work once closed, or inside a transaction the database ended (answers from memory included)."""
        if self._closed:
            raise RegistryError(f"{self._name} is closed")
        if self._lost and self._connection.in_transaction():
            raise RegistryError(f"{self._name}: the database rolled back the open transaction after an earlier "
                                "error; nothing of it was kept: leave the transaction block and retry")

    @contextmanager
    def _noting_loss(self) -> Iterator[None]:
        """Inside an open transaction, without a savepoint: note if a failure made the database end it."""
        try:
            yield
        except BaseException:
            if self._transaction_lost():
                self._lost = True
            raise

    def _transaction_lost(self) -> bool:
        """Whether the database has no transaction open although SQLAlchemy has (SQLite ends one by itself
        after an interrupted statement or I/O error; a lost server connection ends it too)."""
        try:
            driver: Any = self._connection.connection.driver_connection
            if self._sqlite:
                return not driver.in_transaction
            return str(driver.info.transaction_status.name) not in ("INTRANS", "INERROR")
        except Exception:  # the connection is unusable
            return True

    def _aborted(self) -> bool:
        """Whether PostgreSQL refuses every statement until the transaction (or a savepoint) is rolled back."""
        try:
            driver: Any = self._connection.connection.driver_connection
            return str(driver.info.transaction_status.name) == "INERROR"
        except Exception:  # the connection is unusable
            return True

    @property
    def connection(self) -> sa.Connection:
        """The registry's connection (it is replaced when a failure left it unusable)."""
        return self._connection

    def in_transaction(self) -> bool:
        """Whether a registry transaction is open on the connection."""
        return self._connection.in_transaction()

    def _begin(self, *, write: bool, single_statements: bool = False) -> sa.RootTransaction:
        """Begin the outermost transaction; if that fails, leave the connection usable for the next call."""
        try:
            with translated("begin a transaction"):
                return begin(self._connection, write=write, single_statements=single_statements)
        except BaseException:
            self._restore()
            raise

    @contextmanager
    def _scope(self, transaction: Transaction, *, undo: bool) -> Iterator[sa.Connection]:
        """Run the block in ``transaction``: commit if it succeeds, roll back if anything escapes."""
        try:
            yield self._connection
        except BaseException:
            self._rollback(transaction, undo)
            raise
        try:
            if self._lost:
                raise RegistryError(f"{self._name}: the database rolled back the transaction after an error "
                                    "inside it; nothing of it was kept")
            with translated("commit"):
                transaction.commit()
        except BaseException:
            self._rollback(transaction, undo)
            raise
        savepoints.forget(self._connection)  # released with it

    def _rollback(self, transaction: Transaction, undo: bool) -> None:
        savepoints.forget(self._connection)
        if undo:
            self._on_rollback()
        # Always, even when inactive: after a failed COMMIT the transaction is inactive but still the
        # connection's, and until it is rolled back every begin() on the connection fails. A failure
        # here is not reported: the original error is what the caller needs; _restore repairs.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            transaction.rollback()
        if isinstance(transaction, sa.RootTransaction):
            self._restore()
        elif self._transaction_lost():
            self._lost = True  # the enclosing transaction is gone: refuse everything until it ends

    def _restore(self) -> None:
        """Leave no transaction open, in SQLAlchemy or in the database; reconnect if the connection is broken.

        A failed COMMIT can leave the database's transaction open (SQLite keeps it after a deferred
        constraint fails), and a lost server connection is unusable: either way the next call must
        find a clean connection, not an error about this one.
        """
        self._lost = False
        connection = self._connection
        try:
            connection.rollback()
            if not connection.invalidated:
                connection.connection.dbapi_connection.rollback()  # type: ignore[union-attr]
            return
        except Exception:  # any failure here means: replace the connection
            if self._memory:
                return  # the connection is the whole database: never replace it
        with contextlib.suppress(Exception):
            connection.invalidate()
            connection.close()
        try:
            self._connection = self._engine.connect()
        except sa.exc.SQLAlchemyError:
            # The server is unreachable now: keep the closed connection; the next call fails on it
            # and comes back here, reconnecting once the server is back.
            self._connection = connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction (a savepoint when one is open) around the block, rolled back if it raises."""
        self.check_open()
        if self._connection.in_transaction():
            transaction: Transaction = self._begin_nested()
        else:
            transaction = self._begin(write=self._writeable)
        with self._scope(transaction, undo=True):
            yield

    def _begin_nested(self) -> sa.NestedTransaction:
        """A savepoint, set after the one whose release waits (see ``savepoints``) is sent."""
        with translated("begin a savepoint"):
            if not self._sqlite:
                savepoints.send_release(self._connection)
            return self._connection.begin_nested()

    @contextmanager
    def reading(self, *, single_statements: bool = True) -> Iterator[sa.Connection]:
        """The connection, inside the current transaction or a short deferred (read) one.

        Outside a transaction, a read of ``single_statements`` (needing no common snapshot, no
        cursor kept on the server) runs without BEGIN and COMMIT on PostgreSQL, and without a
        transaction at all (see ``_single_statements``).
        """
        self.check_open()
        if self._connection.in_transaction():
            with self._noting_loss():
                yield self._connection
            return
        if single_statements and self._unbracketed:  # inside a read of single statements: one more
            yield self._connection
            return
        if single_statements and not self._sqlite:
            with self._single_statements() as connection:
                yield connection
            return
        with self._scope(self._begin(write=False, single_statements=single_statements), undo=False) as connection:
            yield connection

    @contextmanager
    def _single_statements(self) -> Iterator[sa.Connection]:
        """PostgreSQL: the connection for reads of single statements outside a transaction: without BEGIN and
        COMMIT (see ``engine.begin``) and without SQLAlchemy's transaction either, whose bookkeeping was a
        tenth of a find by DataId. A statement on SQLAlchemy's path begins one by itself (sending no BEGIN),
        which ends with the block."""
        connection = self._connection
        without_begin(connection)
        self._unbracketed = True
        try:
            yield connection
        except BaseException:
            self._restore()
            raise
        finally:
            self._unbracketed = False
            clear_begin(connection)
        if connection.in_transaction():
            try:
                with translated("commit"):
                    connection.commit()
            except BaseException:
                self._restore()
                raise

    @contextmanager
    def writing(self, action: str, *, atomic: bool = False, one_statement: bool = False) -> Iterator[sa.Connection]:
        """The connection, in a write transaction whose failure undoes everything the block wrote.

        ``atomic`` promises the block writes with at most one statement, which SQLite undoes by
        itself when it fails; otherwise a block inside a transaction gets its own savepoint.
        ``one_statement`` promises more: besides that one write, the block only reads what needs no
        snapshot in common with it. Outside a transaction, PostgreSQL then runs the write as a
        transaction of its own, without BEGIN and COMMIT: two round trips of the three a single
        insert would cost. Inside one, its savepoint goes with the write (see ``savepoints``).
        """
        self.check_open()
        if not self._writeable:
            raise ReadOnlyError(f"{self._name} was opened read-only (it lacks the capability "
                                f"{RegistryCapability.WRITE.value!r}); cannot {action}")
        atomic = atomic or one_statement
        if not self._connection.in_transaction():
            transaction: Transaction = self._begin(write=True, single_statements=one_statement)
        elif atomic and self._sqlite:
            with self._noting_loss():
                yield self._connection
            return
        elif one_statement:
            with self._deferred_savepoint() as connection:
                yield connection
            return
        else:
            transaction = self._begin_nested()
        with self._scope(transaction, undo=True) as connection:
            yield connection

    @contextmanager
    def _deferred_savepoint(self) -> Iterator[sa.Connection]:
        """The block's one write in a savepoint that the write itself sends (PostgreSQL, inside a transaction)."""
        connection = self._connection
        name = savepoints.defer(connection)
        try:
            yield connection
        except BaseException:
            self._on_rollback()
            if not savepoints.failed(connection, name) or self._transaction_lost() or self._aborted():
                self._lost = True  # the database ended the transaction: refuse everything until it ends
            raise
        savepoints.succeeded(connection, name)


def dispose(engine: sa.Engine, connection: sa.Connection | None) -> None:
    """Close ``connection`` (if any) and dispose of ``engine``, ignoring driver errors."""
    try:
        if connection is not None:
            connection.close()
    except sa.exc.SQLAlchemyError:
        pass
    finally:
        engine.dispose()
