"""Pytest fixtures: a filled DESDM database on SQLite and on PostgreSQL, with a pipeline writer's role.

The PostgreSQL role gets what production grants a pipeline writer, and nothing more:

- ``USAGE`` on the schema and ``SELECT`` on every DESDM table (it reads the catalog: archives, file
  types, their metadata columns, other attempts' files);
- ``INSERT`` on the tables a pipeline writes (``WRITER_TABLES``: DESFILE, FILE_ARCHIVE_INFO, the metadata
  tables, OPM_USED, OPM_WAS_DERIVED_FROM, TASK, PFW_ATTEMPT, PROCTAG, DTS_BAD_FILE);
- ``UPDATE`` on TASK and PFW_ATTEMPT only (a task's start, end, status and host; an attempt's archive
  path and end are written after the row, as DESDM's framework does);
- ``USAGE`` on the ID sequences (``nextval``).

No DELETE, no ownership, no CREATE on the schema: it cannot ALTER, DROP or CREATE anything, and the
OPS_* tables (archives, file types) are read-only to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa

from ..postgres import PostgresRole, PostgresServer
from .fill import DesdmCatalog, create_desdm, desdm_engine, fill_desdm
from .schema import UPDATED_TABLES, WRITER_TABLES, desdm_metadata

EXPOSURES = 5
"""Exposures in the fixtures' databases (each with ``CCDS`` CCDs): 48 DESFILE rows."""

CCDS = 4


@attrs.frozen
class DesdmDatabase:
    """A filled DESDM database: its URL (owner), schema, what is in it, and the writer role (PostgreSQL)."""

    url: str
    catalog: DesdmCatalog
    schema: str | None = None
    writer_url: str | None = attrs.field(default=None, repr=False)
    writer: PostgresRole | None = None

    def engine(self, url: str | None = None) -> sa.Engine:
        """An engine on ``url`` (the owner's by default) that enforces foreign keys."""
        return desdm_engine(url or self.url)

    def metadata(self) -> sa.MetaData:
        """The DESDM tables as they are in this database's schema."""
        return desdm_metadata(self.schema)


def with_search_path(url: str, schema: str) -> str:
    """``url`` with ``schema`` first on the search path, so DESDM-style unqualified SQL finds the tables."""
    return sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def grant_pipeline_writer(server: PostgresServer, schema: str, role: PostgresRole) -> None:
    """Grant ``role`` what production grants a pipeline writer on the DESDM tables in ``schema`` (module doc)."""
    quoted = f'"{schema}"'
    server.execute(f"GRANT USAGE ON SCHEMA {quoted} TO \"{role.name}\"",
                   f"GRANT SELECT ON ALL TABLES IN SCHEMA {quoted} TO \"{role.name}\"",
                   "GRANT INSERT ON " + ", ".join(f"{quoted}.{name}" for name in WRITER_TABLES)
                   + f" TO \"{role.name}\"",
                   "GRANT UPDATE ON " + ", ".join(f"{quoted}.{name}" for name in UPDATED_TABLES)
                   + f" TO \"{role.name}\"",
                   f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted} TO \"{role.name}\"")


def build_desdm_sqlite(directory: str, *, exposures: int = EXPOSURES, ccds: int = CCDS,
                       seed: int = 0) -> DesdmDatabase:
    """Create and fill a DESDM database file in ``directory``, archives under ``directory/archive``."""
    url = f"sqlite:///{os.path.join(directory, 'desdm.sqlite3')}"
    engine = desdm_engine(url)
    try:
        catalog = fill_desdm(engine, create_desdm(engine), os.path.join(directory, "archive"),
                             exposures=exposures, ccds=ccds, seed=seed)
    finally:
        engine.dispose()
    return DesdmDatabase(url, catalog)


@pytest.fixture
def desdm_sqlite(tmp_path: os.PathLike[str]) -> DesdmDatabase:
    """A filled DESDM database file and its archive roots in the test's temporary directory."""
    return build_desdm_sqlite(os.fspath(tmp_path))


@pytest.fixture
def desdm_postgres(postgres_server: PostgresServer, postgres_schema: str,
                   tmp_path: os.PathLike[str]) -> Iterator[DesdmDatabase]:
    """A filled DESDM database in a fresh schema of the throwaway cluster, and a pipeline writer's role."""
    postgres_server.execute(f'CREATE SCHEMA "{postgres_schema}"')
    url = with_search_path(postgres_server.url(), postgres_schema)
    engine = desdm_engine(url)
    try:
        catalog = fill_desdm(engine, create_desdm(engine, postgres_schema), os.path.join(tmp_path, "archive"),
                             exposures=EXPOSURES, ccds=CCDS)
    finally:
        engine.dispose()
    role = postgres_server.create_role("desdm_writer")
    try:
        grant_pipeline_writer(postgres_server, postgres_schema, role)
        writer_url = with_search_path(postgres_server.url(user=role.name, password=role.password), postgres_schema)
        yield DesdmDatabase(url, catalog, postgres_schema, writer_url, role)
    finally:
        postgres_server.execute(f'DROP OWNED BY "{role.name}"')  # its grants, so the role can be dropped
        postgres_server.drop_role(role)
