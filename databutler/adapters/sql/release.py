"""A personal registry layered over a read-only Data Release registry in the same database.

The seed's "proxy registry": the release's tables are used as they are, and every table the
registry reads is a view that unions the release's rows with the personal ones, so SQL joins span
both layers. Writes go to the personal tables only (see ``layout``).

- SQLite: the release file is ATTACHed read-only (``mode=ro``) as schema ``release``.
- PostgreSQL: the release is another schema of the same database; the personal registry's role
  needs only USAGE and SELECT on it, and the database refuses writes from a role without more.

The union views are TEMPORARY views, made on each connection when it opens (a view in the
personal database could not name an attached database on SQLite, and temporary views cost no
privilege and always match this version of the code). The documented ``v_*`` query views of a
layered registry are temporary views over them, so ``select_sql`` sees both layers too.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

import attrs
import sqlalchemy as sa

from ...domain.errors import ConfigError, ConflictingDefinitionError, RegistryError, UniverseError
from ...domain.universe import Universe
from .credentials import mask_secrets
from .engine import is_postgresql, is_sqlite, parse_url
from .layout import PERSONAL_ID_START, Layout
from .query.views import view_selects
from .schema import SCHEMA_VERSION, Schema, build_schema, is_older_version

SQLITE_ALIAS = "release"
"""The schema name the release database is ATTACHed as on SQLite."""
LAYERED_KEY = "layered_over"
"""The ``meta`` key of a personal registry: a description of the release it was created over."""

@attrs.frozen
class Release:
    """Where the read-only release registry under a personal registry is.

    On SQLite ``url`` is the release's ``sqlite:///`` file URL; on PostgreSQL ``namespace`` is the
    release's schema in the personal registry's own database (``url``, if given, must name that
    database: views cannot join across databases).
    """

    url: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        """How messages name the release."""
        if self.namespace is not None:
            return f"in schema {self.namespace!r}"
        return repr(mask_secrets(self.url)) if self.url else "(unnamed)"


class Layering:
    """Attaches the release and makes the union views on every connection of a personal registry's engine."""

    def __init__(self, release: Release, url: sa.URL, namespace: str | None) -> None:
        self._release = release
        self._namespace = namespace
        self._sqlite = is_sqlite(url)
        if self._sqlite:
            if release.namespace is not None:
                raise ConfigError(f"release namespace {release.namespace!r} names a PostgreSQL schema; a SQLite "
                                  "personal registry takes the release's file as release url")
            if not release.url:
                raise ConfigError("a SQLite personal registry needs the release's url, e.g. "
                                  "'sqlite:////data/dr1/registry.sqlite3'")
            release_url = parse_url(release.url)
            path = release_url.database or ""
            if not is_sqlite(release_url) or path in ("", ":memory:") or path.startswith("file:"):
                raise ConfigError(mask_secrets(f"the release of a SQLite personal registry must be a SQLite file "
                                               f"URL like 'sqlite:////data/dr1/registry.sqlite3', got {release.url!r}"))
            if not os.path.exists(path):
                raise RegistryError(f"there is no release registry at {release.url!r} (file {path!r} does not "
                                    "exist)")
            self._path = os.path.abspath(path)
            self._release_namespace = SQLITE_ALIAS
            self._reads_namespace = "temp"
            self._writes_namespace: str | None = "main"
        elif is_postgresql(url):
            if not release.namespace:
                raise ConfigError("a PostgreSQL personal registry needs the release's schema as release namespace")
            if release.namespace == namespace:
                raise ConfigError(f"the personal registry and its release are both in schema {namespace!r}; "
                                  "give the personal registry a schema of its own")
            if release.url is not None:
                other = parse_url(release.url)
                if (other.host, other.port, other.database) != (url.host, url.port, url.database):
                    raise ConfigError("the release must be in the personal registry's own database (views cannot "
                                      "join across databases); give only its namespace")
            self._path = ""
            self._release_namespace = release.namespace
            self._reads_namespace = "pg_temp"
            self._writes_namespace = namespace
        else:
            raise ConfigError(f"layered registries need SQLite or PostgreSQL, not {url.get_backend_name()}")
        self._statements: list[str] | None = None
        self._universe: Universe | None = None

    @property
    def release(self) -> Release:
        """The release this registry is layered over."""
        return self._release

    def layout(self, universe: Universe) -> Layout:
        """The tables the registry reads (union views), writes (its own) and the release's."""
        return Layout(build_schema(universe, self._reads_namespace),
                      build_schema(universe, self._writes_namespace, personal=True),
                      build_schema(universe, self._release_namespace), self._release.describe())

    def personal_schema(self, universe: Universe) -> Schema:
        """The personal tables, as created (no schema prefix on SQLite, where they are the main database's)."""
        return build_schema(universe, None if self._sqlite else self._namespace, personal=True)

    def meta_value(self) -> str:
        """What a personal registry records about its release in ``meta``."""
        if self._sqlite:
            return json.dumps({"path": self._path})
        return json.dumps({"namespace": self._release_namespace})

    # -- per connection -----------------------------------------------------------------------

    def install(self, engine: sa.Engine) -> None:
        """Prepare every new connection of ``engine`` (see ``prepare``)."""

        @sa.event.listens_for(engine, "connect")
        def _prepare(dbapi_connection: Any, _record: Any) -> None:
            self.prepare(dbapi_connection, engine.dialect)

    def use_universe(self, universe: Universe) -> None:
        """From now on, prepared connections get the union views of ``universe``'s tables."""
        self._universe = universe

    def prepare(self, dbapi_connection: Any, dialect: sa.Dialect) -> None:
        """ATTACH the release (SQLite) and, once the universe is known, create this connection's union views."""
        universe = self._universe
        cursor = dbapi_connection.cursor()
        try:
            if self._sqlite:
                attached = {row[1] for row in cursor.execute("PRAGMA database_list").fetchall()}
                if SQLITE_ALIAS not in attached:
                    target = "file:" + urllib.parse.quote(self._path) + "?mode=ro"
                    cursor.execute(f"ATTACH DATABASE ? AS {SQLITE_ALIAS}", (target,))
            if universe is not None:
                for statement in self._view_statements(dialect, universe):
                    cursor.execute(statement)
            if not self._sqlite:
                dbapi_connection.commit()
        finally:
            cursor.close()

    def _view_statements(self, dialect: sa.Dialect, universe: Universe) -> list[str]:
        if self._statements is None:
            layout = self.layout(universe)
            preparer = dialect.identifier_preparer

            def body(select: sa.Select[Any] | sa.CompoundSelect[Any]) -> str:
                return str(select.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

            assert layout.release is not None
            theirs = {table.name: table for table in layout.release.metadata.sorted_tables}
            statements = []
            for mine in layout.writes.metadata.sorted_tables:
                if mine.name == layout.writes.meta.name:  # each registry's own: never unioned
                    continue
                union = sa.union_all(sa.select(*mine.c), sa.select(*theirs[mine.name].c))
                statements.append(f"CREATE TEMP VIEW {preparer.quote(mine.name)} AS {body(union)}")
            for name, select in view_selects(universe, layout.reads).items():
                statements.append(f"CREATE TEMP VIEW {preparer.quote(name)} AS {body(select)}")
            self._statements = statements
        return self._statements

    # -- checks -------------------------------------------------------------------------------

    def check_release(self, connection: sa.Connection, universe: Universe) -> None:
        """Refuse a release whose version, universe or id range cannot carry this personal registry."""
        release = self.layout(universe).release
        assert release is not None
        where = self._release.describe()
        if not sa.inspect(connection).has_table("meta", schema=self._release_namespace):
            raise RegistryError(f"there is no databutler registry {where} to layer a personal registry over")
        meta = release.meta
        stored = {key: value for key, value in connection.execute(sa.select(meta.c.key, meta.c.value))}
        version = stored.get("schema_version")
        if version != SCHEMA_VERSION:
            fix = ("the release needs migrating: its owner runs `databutler migrate` on the release's repository"
                   if is_older_version(version) else "it was made by a newer databutler: upgrade databutler")
            raise RegistryError(f"the release registry {where} has schema version {version!r}; this databutler "
                                f"reads version {SCHEMA_VERSION!r}: {fix}")
        if LAYERED_KEY in stored:
            raise RegistryError(f"the registry {where} is itself a personal registry; layer over a release registry")
        try:
            theirs = Universe.from_mapping(json.loads(stored["universe"]))
        except (KeyError, ValueError, UniverseError) as err:
            raise RegistryError(f"the universe stored in the release registry {where} is unreadable: {err}") from None
        if theirs != universe:
            raise ConflictingDefinitionError(f"the release registry {where} holds another universe than this "
                                             "personal registry; create the personal registry with the release's")
        for table in (release.collection, release.dataset_type):
            highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
            if highest is not None and highest >= PERSONAL_ID_START:
                raise RegistryError(f"the release registry {where} has {table.name} ids up to {highest}; a personal "
                                    f"registry numbers its own from {PERSONAL_ID_START}, so it cannot be layered")

    def start_personal_ids(self, connection: sa.Connection, schema: Schema) -> None:
        """Make the personal registry number its collections and dataset types from PERSONAL_ID_START."""
        for table in (schema.collection, schema.dataset_type):
            if self._sqlite:
                connection.execute(sa.text("INSERT INTO main.sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                                   {"name": table.name, "seq": PERSONAL_ID_START - 1})
            else:
                qualified = connection.dialect.identifier_preparer.format_table(table)
                connection.execute(sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :seq)"),
                                   {"table": qualified, "seq": PERSONAL_ID_START - 1})

