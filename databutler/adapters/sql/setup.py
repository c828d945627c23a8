"""Creating and opening the database of a SqlRegistry: schema, stored universe, and the release layer."""

from __future__ import annotations

import json
import os

import attrs
import sqlalchemy as sa

from ...domain.errors import ConfigError, ConflictingDefinitionError, RegistryError, UniverseError
from ...domain.remedies import Action, Remedy
from ...domain.universe import Universe
from .collections import CHAIN_VERSION_KEY
from .engine import begin, create_sql_engine, is_memory, is_sqlite, parse_url
from .errors import translated
from .layout import Layout
from .migrations import stamp_new_registry, version_error
from .query.views import create_query_objects
from .release import LAYERED_KEY, Layering, Release
from .schema import SCHEMA_VERSION, build_schema, meta_table
from .session import dispose


@attrs.frozen
class Opened:
    """A registry database ready for use: its engine, open connection, universe and table layout."""

    engine: sa.Engine
    connection: sa.Connection
    universe: Universe
    layout: Layout
    layering: Layering | None


def create_database(url: str, universe: Universe, *, namespace: str | None, release: Release | None,
                    busy_timeout_s: float, echo: bool) -> Opened:
    """Create the registry schema for ``universe`` at ``url`` (over ``release``, if given)."""
    if not isinstance(universe, Universe):
        raise ConfigError(f"a registry needs a Universe, got {type(universe).__name__}")
    parsed = _check_namespace(url, namespace)
    layering = None if release is None else Layering(release, parsed, namespace)
    schema = build_schema(universe, namespace) if layering is None else layering.personal_schema(universe)
    engine = create_sql_engine(parsed, busy_timeout_s=busy_timeout_s, echo=echo)
    if layering is not None:
        layering.install(engine)  # attach only: the views need the tables made below
    shown = parsed.render_as_string(hide_password=True)
    connection = None
    try:
        with translated(f"create a registry at {shown}"):
            connection = engine.connect()
            with begin(connection, write=True):
                # Only when missing: even IF NOT EXISTS needs CREATE on the database, which the owner
                # of a schema made for it by an administrator need not have.
                if namespace is not None and not sa.inspect(connection).has_schema(namespace):
                    connection.execute(sa.schema.CreateSchema(namespace, if_not_exists=True))
                if layering is not None:
                    layering.check_release(connection, universe)
                existing = set(sa.inspect(connection).get_table_names(schema=namespace))
                ours = {table.name for table in schema.metadata.sorted_tables}
                if existing & ours:
                    raise ConflictingDefinitionError(
                        f"a registry already exists at {shown} (it has tables {sorted(existing & ours)[:4]})",
                        remedy=Remedy(Action.OPEN_EXISTING, shown, "SqlRegistry.open"))
                schema.metadata.create_all(connection, checkfirst=False)
                create_query_objects(connection, universe, schema, views=layering is None)
                meta = [{"key": "schema_version", "value": SCHEMA_VERSION},
                        {"key": "universe", "value": json.dumps(universe.to_mapping())},
                        {"key": CHAIN_VERSION_KEY, "value": "0"}]
                if layering is not None:
                    meta.append({"key": LAYERED_KEY, "value": layering.meta_value()})
                    layering.start_personal_ids(connection, schema)
                connection.execute(schema.meta.insert(), meta)
                stamp_new_registry(connection, namespace)
    except BaseException:
        dispose(engine, connection)
        raise
    assert connection is not None
    return _opened(engine, connection, universe, namespace, layering)


def _opened(engine: sa.Engine, connection: sa.Connection, universe: Universe, namespace: str | None,
            layering: Layering | None) -> Opened:
    """The database on an open connection; a personal one gets its union views on every connection first."""
    if layering is None:
        return Opened(engine, connection, universe, Layout.single(build_schema(universe, namespace)), None)
    try:
        with translated("make the views of the layered registry"):
            layering.use_universe(universe)
            layering.prepare(connection.connection.dbapi_connection, engine.dialect)
    except BaseException:
        dispose(engine, connection)
        raise
    return Opened(engine, connection, universe, layering.layout(universe), layering)


def open_database(url: str, *, namespace: str | None, release: Release | None, busy_timeout_s: float,
                  echo: bool) -> Opened:
    """Open the existing registry database at ``url``, with the universe it was created with.

    A personal registry is opened over the release it was created over, unless ``release``
    says where that release is now.
    """
    parsed = _check_namespace(url, namespace)
    shown = parsed.render_as_string(hide_password=True)
    where = shown if namespace is None else f"{shown} in schema {namespace!r}"
    missing = (f"there is no databutler registry at {where}; create one with SqlRegistry.create "
               "(or `databutler create`)")
    if is_memory(parsed):
        raise RegistryError(missing + " (a new in-memory database is always empty)")
    database = parsed.database or ""
    if is_sqlite(parsed) and not database.startswith("file:") and not os.path.exists(database):
        raise RegistryError(missing + f" (file {database!r} does not exist)")
    layering = None if release is None else Layering(release, parsed, namespace)
    engine = create_sql_engine(parsed, busy_timeout_s=busy_timeout_s, echo=echo)
    if layering is not None:
        layering.install(engine)  # attach only until the universe is read
    connection = None
    try:
        with translated(f"open the registry at {shown}"):
            connection = engine.connect()
            meta = meta_table(namespace)
            with begin(connection, write=False):
                if not sa.inspect(connection).has_table("meta", schema=namespace):
                    raise RegistryError(missing)
                stored = {key: value for key, value in connection.execute(sa.select(meta.c.key, meta.c.value))}
        if stored.get("schema_version") != SCHEMA_VERSION:
            raise version_error(where, stored.get("schema_version"))
        try:
            universe = Universe.from_mapping(json.loads(stored["universe"]))
        except (KeyError, ValueError, UniverseError) as err:
            raise RegistryError(f"the universe stored in the registry at {shown} is unreadable: {err}") from None
        if layering is None and LAYERED_KEY in stored:  # a personal registry: over its recorded release
            dispose(engine, connection)
            return open_database(url, namespace=namespace, release=_recorded_release(stored[LAYERED_KEY], shown),
                                 busy_timeout_s=busy_timeout_s, echo=echo)
        if layering is not None:
            if LAYERED_KEY not in stored:
                raise RegistryError(f"the registry at {where} is not a personal registry; open it without a "
                                    "release")
            with translated(f"open the release of the registry at {shown}"), begin(connection, write=False):
                layering.check_release(connection, universe)
    except BaseException:
        dispose(engine, connection)
        raise
    assert connection is not None
    return _opened(engine, connection, universe, namespace, layering)



def _recorded_release(value: str, shown: str) -> Release:
    """The release a personal registry recorded in its ``meta`` when it was created."""
    try:
        recorded = json.loads(value)
        if "path" in recorded:
            return Release(url=sa.URL.create("sqlite", database=str(recorded["path"])).render_as_string())
        return Release(namespace=str(recorded["namespace"]))
    except (ValueError, TypeError, KeyError) as err:
        raise RegistryError(f"the registry at {shown} records an unreadable release: {err}") from None


def _check_namespace(url: str, namespace: str | None) -> sa.URL:
    parsed = parse_url(url)
    if namespace is not None and is_sqlite(parsed):
        raise ConfigError(f"namespace {namespace!r} names a PostgreSQL schema; a SQLite registry "
                          f"({parsed.render_as_string(hide_password=True)}) has none")
    return parsed
