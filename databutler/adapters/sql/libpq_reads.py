"""PostgreSQL's hot reads sent on libpq directly, beside psycopg's cursor rather than through it.

A psycopg cursor's ``execute`` is Python around libpq: it converts the query's placeholders, looks
the statement up in its prepared-statement cache, adapts each parameter, sends, waits, checks the
results, and builds rows. For a find by DataId at 10^6 datasets that scaffolding cost 0.012 of
the 0.036 ms a statement took (client and server on one CPU), and 0.02 ms of a whole find once
the rest of the registry's Python ran between statements. This module does the same steps
with psycopg's own pieces (its ``Transformer`` adapts the parameters and rows with the
connection's adapters, its ``execute`` generator and ``Connection.wait`` do the I/O, so an
interrupt still cancels the statement) and keeps its own cache of prepared statements, so a
statement run often is parsed and planned once per connection.

Only reads outside a transaction (PostgreSQL's single-statement reads, see ``engine.begin``) take
this path. psycopg sends ``DEALLOCATE ALL`` after a rollback or a DROP or ALTER if it prepared
statements of its own, and a prepared statement missing inside a transaction would end the
transaction; outside one, the read that meets it is simply sent again, unprepared, and its
statement prepared anew later. Inside a transaction psycopg's cursor runs every statement, with
its own cache, which it keeps in step with what it deallocates.

It follows the connection's own settings: ``prepare_threshold`` (a statement is prepared on its
run after that many; None, as behind a transaction-pooling PgBouncer, prepares nothing) and
``prepared_max`` (the least recently used statement beyond it is deallocated). A statement the
server no longer has (after ``DISCARD ALL``) is handled like one psycopg deallocated; one whose
result columns a migration changed is deallocated, and the read sent again.
"""

from __future__ import annotations

import re
import sys
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors, generators
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus
from psycopg.pq.abc import PGresult

_Buffer = bytes | bytearray | memoryview
_Key = tuple[bytes, tuple[int, ...] | None]
"""A statement as prepared: its text and its parameters' types."""
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")
_GONE = "26000"
"""SQLSTATE of a prepared statement the server no longer has (invalid_sql_statement_name): all were
deallocated."""
_OUTDATED = "0A000"
"""SQLSTATE of a prepared statement whose result columns changed ("cached plan must not change result
type", feature_not_supported)."""


@lru_cache(maxsize=2048)
def converted(sql: str, encoding: str) -> tuple[bytes, tuple[str, ...], list[PyFormat]] | None:
    """``sql`` in psycopg's named style (``%(name)s``, ``%%``) as libpq takes it (``$1``, ``%``), with the
    parameter names in order and the format each is sent in (psycopg's choice); None for a text this
    does not read (a lone ``%``)."""
    names: dict[str, int] = {}
    unreadable = False

    def swap(match: re.Match[str]) -> str:
        nonlocal unreadable
        token = match.group(0)
        if token == "%%":
            return "%"
        if token == "%":
            unreadable = True
            return token
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    text = _PLACEHOLDER.sub(swap, sql)
    return None if unreadable else (text.encode(encoding), tuple(names), [PyFormat.AUTO] * len(names))


class Statements:
    """One psycopg connection's reads sent on libpq, with the statements it prepared."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._transformer = Transformer(connection)
        self._counts: OrderedDict[_Key, int] = OrderedDict()
        self._names: OrderedDict[_Key, bytes] = OrderedDict()
        self._made = 0

    def rows(self, sql: str, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]] | None:
        """The rows of ``sql`` (psycopg's named style) with ``parameters`` if the connection is outside a
        transaction; None where psycopg's cursor must run it (inside one, or a text this does not read)."""
        connection = self.connection
        if connection.pgconn.transaction_status != TransactionStatus.IDLE:
            return None
        transformer = self._transformer
        found = converted(sql, transformer.encoding)
        if found is None:
            return None
        text, names, formats = found
        with connection.lock:  # the transformer keeps the types of what it dumped last
            values = transformer.dump_sequence([parameters[name] for name in names], formats)
            key = (text, transformer.types)
            if connection.pgconn.status != ConnStatus.OK:
                raise errors.OperationalError("the connection is closed")
            try:
                result = self._run(key, values, transformer.formats)
            except errors.Error as err:
                if err.sqlstate not in (_GONE, _OUTDATED) or key not in self._names:
                    raise
                self._forget(key, every=err.sqlstate == _GONE)
                result = self._run(key, values, transformer.formats)  # outside a transaction: nothing was lost
            transformer.set_pgresult(result)
            try:
                return transformer.load_rows(0, result.ntuples, tuple)
            finally:
                transformer.set_pgresult(None)

    def _run(self, key: _Key, values: Sequence[_Buffer | None], formats: Sequence[Any] | None) -> PGresult:
        """Send the statement (prepared once it has run often enough) and wait for its rows."""
        pgconn = self.connection.pgconn
        name = self._prepared(key)
        if name is None:
            pgconn.send_query_params(key[0], values, param_types=key[1], param_formats=formats)
        else:
            pgconn.send_query_prepared(name, values, param_formats=formats)
        return self._result()

    def _prepared(self, key: _Key) -> bytes | None:
        """The name of ``key``'s prepared statement, preparing it on the run the connection's threshold says."""
        threshold = self.connection.prepare_threshold
        if threshold is None:
            return None
        name = self._names.get(key)
        if name is not None:
            self._names.move_to_end(key)
            return name
        count = self._counts.pop(key, 0)
        limit = self.connection.prepared_max or sys.maxsize
        if count < threshold:
            self._counts[key] = count + 1
            if len(self._counts) > limit:
                self._counts.popitem(last=False)
            return None
        name = b"_databutler_%d" % self._made
        self._made += 1
        self.connection.pgconn.send_prepare(name, key[0], param_types=key[1])
        self._result(expected=ExecStatus.COMMAND_OK)
        self._names[key] = name
        if len(self._names) > limit:
            self._forget(next(iter(self._names)), every=False)
        return name

    def _forget(self, key: _Key, *, every: bool) -> None:
        """Forget the prepared statements the server deallocated (``every``), or deallocate ``key``'s outdated one."""
        if every:
            self._names.clear()
            return
        self.connection.pgconn.send_query(b"DEALLOCATE " + self._names.pop(key))
        self._result(expected=ExecStatus.COMMAND_OK)

    def _result(self, expected: ExecStatus = ExecStatus.TUPLES_OK) -> PGresult:
        """The one result of what was sent, or its error raised as psycopg raises it."""
        connection = self.connection
        results: list[PGresult] = connection.wait(generators.execute(connection.pgconn))
        result = results[-1]
        if result.status == expected:
            return result
        if result.status == ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=self._transformer.encoding)
        raise errors.InterfaceError(f"unexpected result {ExecStatus(result.status).name} from a registry read")

