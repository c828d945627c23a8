"""Upgrading a registry database to this databutler's schema version, in one transaction.

The query views (``v_*``) are derived objects: they name the columns a migration may alter
(PostgreSQL refuses to change the type of a column a view uses), so they are dropped before the
migration scripts run and made again from the current code after them, in the same transaction.
Alembic is imported only here, when a registry is created or migrated: opening one (the common
case) does not pay for it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ....domain.errors import RegistryError, UniverseError
from ....domain.universe import Universe
from ....ports.migration import MigrationReport
from ..engine import DEFAULT_BUSY_TIMEOUT_S, begin, create_sql_engine, is_memory, is_sqlite, parse_url
from ..errors import translated
from ..query.views import create_query_objects, view_names
from ..release import LAYERED_KEY
from ..schema import SCHEMA_VERSION, VERSION_TABLE, build_schema, is_older_version, meta_table

if TYPE_CHECKING:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory


@functools.cache
def script_directory() -> ScriptDirectory:
    """The migration scripts shipped in this package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(os.path.dirname(__file__))


def _context(connection: sa.Connection, namespace: str | None, **opts: Any) -> MigrationContext:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE,
                                                        "version_table_schema": namespace, **opts})


def stamp_new_registry(connection: sa.Connection, namespace: str | None) -> None:
    """Record a registry just created with the current schema as being at the current revision.

    The version table is made in the layout Alembic reads (one ``version_num`` column, primary
    key ``<table>_pkc``) without importing Alembic: creating a registry stays as cheap as before.
    """
    table = sa.Table(VERSION_TABLE, sa.MetaData(), sa.Column("version_num", sa.String(32), nullable=False),
                     sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"), schema=namespace)
    table.create(connection)
    connection.execute(table.insert().values(version_num=SCHEMA_VERSION))


def version_error(where: str, stored: str | None) -> RegistryError:
    """The error for opening a registry whose schema version is not this databutler's."""
    if is_older_version(stored):
        return RegistryError(f"the registry at {where} has schema version {stored!r}; this databutler reads version "
                             f"{SCHEMA_VERSION!r}: upgrade it with `databutler migrate REPO` (REPO: its repository)")
    return RegistryError(f"the registry at {where} has schema version {stored!r}, which this databutler does not "
                         f"know (it reads version {SCHEMA_VERSION!r}); it was made by a newer databutler: upgrade "
                         "databutler to use it")


def migrate_database(url: str, *, namespace: str | None = None, dry_run: bool = False,
                     busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> MigrationReport:
    """Upgrade the registry at ``url`` (in PostgreSQL schema ``namespace``) to this databutler's schema version.

    All steps run in one transaction: a failure leaves the registry as it was. ``dry_run``
    reports the steps and changes nothing. A personal registry migrates its own tables only; the
    release it reads is migrated by its owner.
    """
    parsed = parse_url(url)
    shown = parsed.render_as_string(hide_password=True)
    where = shown if namespace is None else f"{shown} in schema {namespace!r}"
    missing = f"there is no databutler registry at {where}, so nothing to migrate"
    database = parsed.database or ""
    if is_memory(parsed):
        raise RegistryError(missing + " (a new in-memory database is always empty)")
    if is_sqlite(parsed) and not database.startswith("file:") and not os.path.exists(database):
        raise RegistryError(missing + f" (file {database!r} does not exist)")
    from alembic.util import CommandError

    engine = create_sql_engine(parsed, busy_timeout_s=busy_timeout_s)
    try:
        with translated(f"migrate the registry at {where}"), engine.connect() as connection:
            transaction = begin(connection, write=True)
            with transaction:
                report = _migrate(connection, namespace, where, missing, dry_run)
                if dry_run:
                    transaction.rollback()
    except CommandError as err:  # e.g. a version table edited by hand
        raise RegistryError(f"cannot migrate the registry at {where}: {err}; nothing was changed") from None
    finally:
        engine.dispose()
    return report


def _migrate(connection: sa.Connection, namespace: str | None, where: str, missing: str,
             dry_run: bool) -> MigrationReport:
    if not sa.inspect(connection).has_table("meta", schema=namespace):
        raise RegistryError(missing)
    meta = meta_table(namespace)
    stored = {key: value for key, value in connection.execute(sa.select(meta.c.key, meta.c.value))}
    version = stored.get("schema_version")
    script = script_directory()
    if version != SCHEMA_VERSION and not is_older_version(version):
        raise version_error(where, version)
    assert version is not None
    context = _context(connection, namespace)
    recorded = context.get_current_revision()
    if recorded is not None and recorded != version:
        raise RegistryError(f"the registry at {where} records schema version {version!r} in meta but revision "
                            f"{recorded!r} in {VERSION_TABLE}; it was changed outside databutler: restore it from "
                            "a backup")
    steps = [f"{s.down_revision} -> {s.revision}: {s.doc}"
             for s in reversed(list(script.iterate_revisions(SCHEMA_VERSION, version)))]
    report = MigrationReport(where, version, SCHEMA_VERSION, tuple(steps), dry_run)
    if dry_run:
        return report
    if recorded is None:  # made before migrations existed: its meta says where it stands
        context.stamp(script, version)
    if not steps:
        return report
    try:
        universe = Universe.from_mapping(json.loads(stored["universe"]))
    except (KeyError, ValueError, UniverseError) as err:
        raise RegistryError(f"the universe stored in the registry at {where} is unreadable: {err}") from None
    personal = LAYERED_KEY in stored  # its views are temporary ones, made by each connection
    _drop_views(connection, namespace, view_names(universe))

    def upgrade(heads: Iterable[str], _context: MigrationContext) -> Any:
        return script._upgrade_revs(SCHEMA_VERSION, version)  # what `alembic upgrade` runs

    from alembic.operations import Operations

    context = _context(connection, namespace, fn=upgrade)
    with Operations.context(context):
        context.run_migrations()
    create_query_objects(connection, universe, build_schema(universe, namespace, personal=personal),
                         views=not personal)
    now = connection.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if now != SCHEMA_VERSION or context.get_current_revision() != SCHEMA_VERSION:
        raise RegistryError(f"migrating the registry at {where} ended at schema version {now!r}, not "
                            f"{SCHEMA_VERSION!r}; nothing was changed (this is a bug in databutler's migrations)")
    return report


def _drop_views(connection: sa.Connection, namespace: str | None, names: Iterable[str]) -> None:
    """Drop those of the query views ``names`` that exist (they are made again after the migration)."""
    existing = set(sa.inspect(connection).get_view_names(schema=namespace))
    preparer = connection.dialect.identifier_preparer
    for name in names:
        if name in existing:
            connection.execute(sa.text(f"DROP VIEW {preparer.format_table(sa.table(name, schema=namespace))}"))
