"""The DESDM tables the DBB datastore uses, and the catalog queries it makes of them.

The datastore reads ``OPS_ARCHIVE`` (an archive's root), looks names up in ``DESFILE`` (a file
name is unique in the catalog) and writes ``DTS_BAD_FILE`` (the gateway's rejections). Only the
columns it uses are declared, as unquoted upper-case identifiers, so the same statements work on
DESDM's Oracle, PostgreSQL (lower-case names) and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.sql.elements import quoted_name

from ...domain.errors import ConfigError, DatastoreError
from ...domain.suggestions import closest, hint
from ..sql.engine import begin
from ..sql.errors import driver_message

COMPRESSIONS = (".fz", ".gz", ".bz2")
"""The endings DESDM records in COMPRESSION rather than in FILENAME."""

_IN_CHUNK = 500
"""Names looked up per statement (well below every driver's limit on bound parameters)."""


def split_name(name: str) -> tuple[str, str | None]:
    """A file name in the archive as DESDM's (FILENAME, COMPRESSION): ``x.fits.fz`` is ``("x.fits", ".fz")``."""
    for ending in COMPRESSIONS:
        if name.endswith(ending) and len(name) > len(ending):
            return name[:-len(ending)], ending
    return name, None


def _name(text: str) -> quoted_name:
    return quoted_name(text, False)


def _table(name: str, columns: Sequence[str], schema: str | None) -> sa.TableClause:
    return sa.table(_name(name), *(sa.column(_name(c)) for c in columns), schema=schema)


@attrs.frozen
class DesdmTables:
    """The three DESDM tables the datastore touches, in one schema (None: the default one)."""

    ops_archive: sa.TableClause
    desfile: sa.TableClause
    bad_file: sa.TableClause

    @classmethod
    def in_schema(cls, schema: str | None) -> DesdmTables:
        """The tables as they are in ``schema``."""
        return cls(_table("OPS_ARCHIVE", ("NAME", "ROOT"), schema),
                   _table("DESFILE", ("FILENAME", "COMPRESSION"), schema),
                   _table("DTS_BAD_FILE", ("UNIQ_FULLNAME", "ORIG_FILENAME", "FILETYPE", "FILESIZE",
                                           "DELIVERY_DATE", "REJECTED_DATE", "REJECTED_MSG"), schema))


_QUICK_MS = 200
"""How long a rejection waits for a busy SQLite database before it is left for after the rollback."""


class ArchiveCatalog:
    """The DESDM catalog as the DBB datastore sees it: archive roots, taken names, rejected files.

    Every statement runs on a connection of its own and is committed at once: the datastore's
    writes (rejections) must survive whatever transaction its caller rolls back.
    """

    def __init__(self, engine: sa.Engine, namespace: str | None, shown_url: str) -> None:
        self._engine = engine
        self._tables = DesdmTables.in_schema(namespace)
        self._shown = shown_url

    def close(self) -> None:
        """Close the catalog's connections."""
        self._engine.dispose()

    @contextmanager
    def _connection(self, action: str, *, write: bool = False) -> Iterator[sa.Connection]:
        """A connection in a transaction committed on success; a driver error as DatastoreError naming ``action``."""
        try:
            with self._engine.connect() as connection, begin(connection, write=write):
                yield connection
        except sa.exc.SQLAlchemyError as err:
            raise DatastoreError(f"cannot {action} in the DESDM database {self._shown}: "
                                 f"{driver_message(err)}") from None

    def archive_root(self, archive: str) -> str:
        """``OPS_ARCHIVE.ROOT`` of ``archive``; ConfigError naming the archives there are if it is not one."""
        ops_archive = self._tables.ops_archive
        try:
            with self._connection(f"read archive {archive!r}") as connection:
                rows = connection.execute(sa.select(ops_archive.c.NAME, ops_archive.c.ROOT)).all()
        except DatastoreError as err:
            raise ConfigError(f"dbb datastore: {err}") from None
        roots = {str(name): root for name, root in rows}
        if archive not in roots:
            near = closest(archive, roots)
            known = near + sorted(set(roots) - set(near))
            raise ConfigError(f"dbb datastore: archive {archive!r} is not in OPS_ARCHIVE of {self._shown}; "
                              f"{hint(archive, roots, otherwise='choose one of the archives there')} "
                              f"(archives, closest first: {', '.join(map(repr, known)) or 'none'})")
        root = roots[archive]
        if not isinstance(root, str) or not root:
            raise ConfigError(f"dbb datastore: archive {archive!r} has no ROOT in OPS_ARCHIVE of {self._shown}")
        return root

    def taken(self, names: Iterable[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
        """Which of the (FILENAME, COMPRESSION) pairs are in DESFILE already (a null COMPRESSION matches '')."""
        wanted = {(filename, compression or "") for filename, compression in names}
        desfile = self._tables.desfile
        found: set[tuple[str, str | None]] = set()
        filenames = sorted({filename for filename, _ in wanted})
        with self._connection("look file names up in DESFILE") as connection:
            for start in range(0, len(filenames), _IN_CHUNK):
                chunk = filenames[start:start + _IN_CHUNK]
                query = sa.select(desfile.c.FILENAME, desfile.c.COMPRESSION).where(desfile.c.FILENAME.in_(chunk))
                for filename, compression in connection.execute(query):
                    if (filename, compression or "") in wanted:
                        found.add((filename, compression or None))
        return found

    def record_bad_files(self, rows: Sequence[Mapping[str, Any]], *, wait: bool = True) -> None:
        """Insert ``rows`` (column name to value) into DTS_BAD_FILE and commit them.

        Without ``wait``, a SQLite database another connection is writing to is not waited for
        (the writer may be this process's own registry, which waits for us): DatastoreError at once.
        """
        if not rows:
            return
        action = "record rejected files in DTS_BAD_FILE"
        try:
            with self._engine.connect() as connection:
                # Straight to the driver: a statement through SQLAlchemy would begin a transaction first.
                quick = not wait and connection.dialect.name == "sqlite"
                driver: Any = connection.connection.driver_connection if quick else None
                busy = driver.execute("PRAGMA busy_timeout").fetchone()[0] if driver is not None else 0
                if driver is not None:
                    driver.execute(f"PRAGMA busy_timeout = {_QUICK_MS}")
                try:
                    with begin(connection, write=True):
                        connection.execute(sa.insert(self._tables.bad_file), list(rows))
                finally:
                    if driver is not None:
                        driver.execute(f"PRAGMA busy_timeout = {int(busy)}")
        except sa.exc.SQLAlchemyError as err:
            raise DatastoreError(f"cannot {action} in the DESDM database {self._shown}: "
                                 f"{driver_message(err)}") from None
