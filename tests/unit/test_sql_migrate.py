"""Upgrading a schema-version-1 registry, on SQLite and PostgreSQL, losing nothing.

The version-1 registries are dumps in ``tests/data/registry_v1``, made and filled by databutler as it
was at schema version 1 (commit 39bee11; ``make_dumps.py`` there says how). A dump is more honest
than rebuilding version 1 from today's code: it is what the old code really created (every table,
index and view, the old column types) and really wrote (DataUnits, dataset types, collections of
every kind, datasets with artifacts, quanta), and it cannot drift when today's code changes.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest
import sqlalchemy as sa
import yaml
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from databutler import Butler
from databutler.adapters.sql import Release, SqlRegistry, migrate_database
from databutler.adapters.sql.collections import CHAIN_VERSION_KEY
from databutler.adapters.sql.migrations import script_directory
from databutler.adapters.sql.schema import SCHEMA_VERSION, VERSION_TABLE
from databutler.cli.main import cli
from databutler.config.migrate import migrate_repository
from databutler.config.repo_config import DEFAULT_CONFIG, merge
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.errors import ConfigError, RegistryError
from databutler.testing.postgres import PostgresServer, registry_section

DUMPS = Path(__file__).parent.parent / "data" / "registry_v1"
DUMP_NAMESPACE = "registry_v1"
WIDENED = {("dataset_type", "storage_class"), ("dataset_artifact", "component"), ("dataset_artifact", "formatter"),
           ("dataset_artifact", "storage_class"), ("dataset_artifact", "checksum"), ("quantum", "task"),
           ("quantum", "run"), ("quantum", "host")}


@attrs.frozen
class Database:
    """A version-1 registry loaded from a dump, and a repository whose butler.yaml names it."""

    url: str
    namespace: str | None
    repo: Path


def load_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript((DUMPS / "sqlite.sql").read_text())
    finally:
        connection.close()


def load_postgresql(server: PostgresServer, namespace: str) -> None:
    lines = [line for line in (DUMPS / "postgresql.sql").read_text().splitlines()
             if not line.startswith("\\")]  # psql meta-commands (\restrict)
    script = "\n".join(lines).replace(DUMP_NAMESPACE, namespace)
    with psycopg.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                         dbname=server.database) as connection:
        connection.execute(script.encode())  # one transaction, committed on leaving


@pytest.fixture(params=["sqlite", "postgresql"])
def v1(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A version-1 registry holding the content of ``make_dumps.fill``, in a repository at ``repo``."""
    repo = tmp_path / "repo"
    (repo / "datasets").mkdir(parents=True)  # the posix datastore of the repository, empty
    if request.param == "sqlite":
        load_sqlite(repo / "registry.sqlite3")
        url, namespace, registry = f"sqlite:///{repo}/registry.sqlite3", None, {}
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        namespace = request.getfixturevalue("postgres_schema")
        load_postgresql(server, namespace)
        url = server.url()
        registry = registry_section(server, namespace, monkeypatch)
    config = merge(DEFAULT_CONFIG, {"registry": registry} if registry else {})
    (repo / "butler.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return Database(url, namespace, repo)


def engine_for(database: Database) -> sa.Engine:
    return sa.create_engine(database.url)


@pytest.fixture
def backdoor(v1: Database) -> Iterator[sa.Engine]:
    """An engine on the registry's database that reads past databutler."""
    engine = engine_for(v1)
    yield engine
    engine.dispose()


LEGACY_REGIONS = "legacy_region_text"
"""Where version 5 keeps region text that was not an encoded region (version 1 took any string)."""


def snapshot(engine: sa.Engine, namespace: str | None, *, regions: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table and view (but Alembic's version table), sorted: what a migration must keep.

    Without ``regions``, region columns and the table of legacy region text are left out.
    """
    rows = {}
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        names = [*inspector.get_table_names(schema=namespace), *inspector.get_view_names(schema=namespace)]
        for name in sorted(set(names) - {VERSION_TABLE} - (set() if regions else {LEGACY_REGIONS})):
            table = sa.Table(name, sa.MetaData(schema=namespace), autoload_with=connection)
            columns = [c for c in table.c if regions or c.name != "region"]
            rows[name] = sorted((tuple(row) for row in connection.execute(sa.select(*columns))), key=repr)
    return rows


def region_texts(engine: sa.Engine, namespace: str | None) -> list[str]:
    """Every non-NULL region value, as text, of the version-1 dump."""
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        found = []
        for name in inspector.get_table_names(schema=namespace):
            table = sa.Table(name, sa.MetaData(schema=namespace), autoload_with=connection)
            if "region" in table.c:
                found += [r for r in connection.execute(sa.select(table.c.region)).scalars() if r is not None]
        return sorted(found)


def at_current_version(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """``rows`` as a migration leaves them: the schema version in ``meta`` differs, and (version 4) every
    dataset type gains ``is_calibration`` False beside an empty ``dataset_calib``, (version 6) the chain
    version counter starts at 0, and (version 8) each chain's search is flattened into ``chain_search``."""
    meta = [(key, SCHEMA_VERSION if key == "schema_version" else value) for key, value in rows["meta"]]
    if CHAIN_VERSION_KEY not in {key for key, _ in meta}:  # version 6
        meta.append((CHAIN_VERSION_KEY, "0"))
    upgraded = {**rows, "meta": sorted(meta, key=repr)}
    if "dataset_calib" not in rows:
        upgraded["dataset_type"] = [(*row, False) for row in rows["dataset_type"]]
        upgraded["dataset_calib"] = []
    if "chain_search" not in rows:
        upgraded["chain_search"] = sorted(_chain_searches(rows), key=repr)
    return upgraded


def _chain_searches(rows: dict[str, list[tuple[Any, ...]]]) -> list[tuple[int, int, int]]:
    """(chain, member, position) of every chain of the dump: its children in order, chains expanded, once each."""
    kinds = {row[0]: row[2] for row in rows["collection"]}  # (id, name, kind, doc)
    children: dict[int, list[int]] = {}
    for parent, _, child in sorted(rows["collection_chain"]):  # (parent, position, child)
        children.setdefault(parent, []).append(child)

    def members(chain: int) -> list[int]:
        found: list[int] = []
        for child in children.get(chain, []):
            for member in members(child) if kinds[child] == "CHAINED" else [child]:
                if member not in found:
                    found.append(member)
        return found

    return [(chain, member, position) for chain, kind in kinds.items() if kind == "CHAINED"
            for position, member in enumerate(members(chain))]


def column_types(engine: sa.Engine, namespace: str | None) -> dict[tuple[str, str], str]:
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        return {(table, column["name"]): str(column["type"]) for table in inspector.get_table_names(schema=namespace)
                for column in inspector.get_columns(table, schema=namespace)}


def _kept_by_sqlite(sqlite: bool, table: str, column: str) -> bool:
    """Whether a migration leaves the declared type of ``column`` on SQLite (see schema_2 and schema_5)."""
    return sqlite and ((table, column) in WIDENED or column == "region")


def structure(engine: sa.Engine, namespace: str | None) -> dict[str, Any]:
    """Tables (columns, keys, indexes, foreign keys) and view names, without the schema's name (in index names).

    On SQLite the declared types of the columns version 2 widened and of the region columns
    version 5 made binary are left out: the migration keeps them (SQLite never enforced their
    lengths and keeps bytes as BLOBs in a TEXT column; see ``versions/schema_2.py``, ``schema_5.py``).
    """
    sqlite = engine.dialect.name == "sqlite"
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in set(inspector.get_table_names(schema=namespace)) - {LEGACY_REGIONS}:
            columns = [(c["name"], None if _kept_by_sqlite(sqlite, table, c["name"]) else str(c["type"]),
                        c["nullable"]) for c in inspector.get_columns(table, schema=namespace)]
            keys = inspector.get_pk_constraint(table, schema=namespace)["constrained_columns"]
            indexes = sorted((str(i["name"]).replace(f"ix_{namespace}_", "ix_"), tuple(i["column_names"]),
                              bool(i["unique"]))
                             for i in inspector.get_indexes(table, schema=namespace))
            foreign = sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                              repr(sorted(f["options"].items())))
                             for f in inspector.get_foreign_keys(table, schema=namespace))
            unique = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table, schema=namespace))
            found[table] = (columns, keys, indexes, foreign, unique)
        found["views"] = sorted(inspector.get_view_names(schema=namespace))
    return found


def fresh_structure(database: Database) -> dict[str, Any]:
    """The structure of a registry today's code makes beside ``database``, with its universe and dataset types."""
    with SqlRegistry.open(database.url, namespace=database.namespace) as stored:
        universe, types = stored.universe, stored.query_dataset_types()
    if database.namespace is None:
        url, namespace = f"sqlite:///{database.repo.parent}/fresh.sqlite3", None
    else:
        url, namespace = database.url, database.namespace + "_fresh"
    with SqlRegistry.create(url, universe, namespace=namespace) as fresh:
        for dataset_type in types:  # each type's unit combination is indexed when it is registered
            fresh.register_dataset_type(dataset_type)
    engine = sa.create_engine(url)
    try:
        return structure(engine, namespace)
    finally:
        if namespace is not None:
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{namespace}" CASCADE'))
        engine.dispose()


def revision(engine: sa.Engine, namespace: str | None) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE,
                                                            "version_table_schema": namespace}).get_current_revision()


def test_a_version_1_registry_is_refused_with_the_command_that_upgrades_it(v1: Database) -> None:
    with pytest.raises(RegistryError, match=r"schema version '1'.*`databutler migrate REPO`"):
        SqlRegistry.open(v1.url, namespace=v1.namespace)
    result = CliRunner().invoke(cli, ["query-collections", str(v1.repo)])
    assert result.exit_code == 1 and "databutler migrate" in result.output


def test_a_version_1_registry_is_upgraded_losing_nothing(v1: Database, backdoor: sa.Engine) -> None:
    before = snapshot(backdoor, v1.namespace, regions=False)
    assert before["dataset"] and before["dataset_artifact"] and before["quantum_input"] and before["v_dataset"]
    texts = region_texts(backdoor, v1.namespace)
    assert texts and revision(backdoor, v1.namespace) is None  # made before Alembic

    report = migrate_database(v1.url, namespace=v1.namespace)

    assert (report.from_version, report.to_version, len(report.steps)) == ("1", SCHEMA_VERSION, int(SCHEMA_VERSION) - 1)
    assert snapshot(backdoor, v1.namespace, regions=False) == at_current_version(before)
    # Version 1 took any text as a region: text that is no encoded region is kept aside, the field left empty.
    legacy = snapshot(backdoor, v1.namespace)[LEGACY_REGIONS]
    assert sorted(row[-1] for row in legacy) == texts
    assert revision(backdoor, v1.namespace) == SCHEMA_VERSION
    if v1.namespace is not None:  # SQLite keeps the declared type, which it never enforced
        types = column_types(backdoor, v1.namespace)
        assert {types[column] for column in WIDENED} == {"TEXT"}
    assert structure(backdoor, v1.namespace) == fresh_structure(v1)
    with SqlRegistry.open(v1.url, namespace=v1.namespace) as registry:
        assert registry.get_collection("u/alice/all").children == ("u/alice/best", "u/alice/run2", "u/alice/run1")
        assert len(list(registry.query_datasets("calexp", ["u/alice/all"]))) == 8


def test_a_migrated_repository_takes_the_default_checksum(v1: Database) -> None:
    migrate_repository(str(v1.repo))
    data_id = {"instrument": "Cam1", "visit": 1, "detector": 3}
    with Butler(v1.repo, run="u/alice/run3") as butler:
        ref = butler.put({"after": "migration"}, "calexp", data_id)
    with Butler(v1.repo, collections=["u/alice/run3", "u/alice/all"]) as butler:
        assert butler.get("calexp", data_id) == {"after": "migration"}
        (artifact,) = butler.registry.get_artifacts([ref.id])[ref.id]
        assert artifact.checksum is not None and len(artifact.checksum) == 136
        assert len(list(butler.registry.query_datasets("calexp", ["u/alice/all"]))) == 8


def test_migrating_twice_changes_nothing_the_second_time(v1: Database, backdoor: sa.Engine) -> None:
    assert migrate_database(v1.url, namespace=v1.namespace).changed
    after_first = snapshot(backdoor, v1.namespace)
    again = migrate_database(v1.url, namespace=v1.namespace)
    assert (again.from_version, again.to_version, again.steps) == (SCHEMA_VERSION, SCHEMA_VERSION, ())
    assert snapshot(backdoor, v1.namespace) == after_first


def test_the_cli_dry_run_changes_nothing_and_the_real_run_prints_the_versions(v1: Database,
                                                                              backdoor: sa.Engine) -> None:
    before, types = snapshot(backdoor, v1.namespace), column_types(backdoor, v1.namespace)
    dry = CliRunner().invoke(cli, ["migrate", str(v1.repo), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"schema version 1 -> {SCHEMA_VERSION} (dry run: nothing changed)" in dry.output
    assert all(f"would apply {v - 1} -> {v}" in dry.output for v in range(2, int(SCHEMA_VERSION) + 1))
    assert snapshot(backdoor, v1.namespace) == before
    assert column_types(backdoor, v1.namespace) == types
    assert revision(backdoor, v1.namespace) is None
    with pytest.raises(RegistryError, match="databutler migrate"):
        SqlRegistry.open(v1.url, namespace=v1.namespace)

    real = CliRunner().invoke(cli, ["migrate", str(v1.repo)])
    assert real.exit_code == 0, real.output
    assert f"schema version 1 -> {SCHEMA_VERSION}" in real.output
    assert all(f"applied {v - 1} -> {v}" in real.output for v in range(2, int(SCHEMA_VERSION) + 1))
    again = CliRunner().invoke(cli, ["migrate", str(v1.repo)])
    assert again.exit_code == 0 and f"at schema version {SCHEMA_VERSION}: nothing to migrate" in again.output


def test_a_new_registry_is_at_the_current_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    SqlRegistry.create(url, default_universe()).close()
    engine = sa.create_engine(url)
    try:
        assert revision(engine, None) == SCHEMA_VERSION
    finally:
        engine.dispose()
    assert not migrate_database(url).changed


def test_a_registry_from_a_newer_databutler_says_to_upgrade_databutler(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    SqlRegistry.create(url, default_universe()).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    for attempt in (lambda: SqlRegistry.open(url), lambda: migrate_database(url)):
        with pytest.raises(RegistryError, match="newer databutler: upgrade databutler"):
            attempt()


def test_a_personal_registry_over_a_version_1_release_says_the_release_needs_migrating(tmp_path: Path) -> None:
    release = tmp_path / "release.sqlite3"
    load_sqlite(release)
    with pytest.raises(RegistryError, match="the release needs migrating: its owner runs `databutler migrate`"):
        SqlRegistry.create(f"sqlite:///{tmp_path}/personal.sqlite3", default_universe(),
                           release=Release(url=f"sqlite:///{release}"))


def test_a_limited_registry_has_nothing_to_migrate(tmp_path: Path) -> None:
    Butler.create(tmp_path / "repo", config={"registry": {"adapter": "limited", "root": "{root}/registry"}}).close()
    result = CliRunner().invoke(cli, ["migrate", str(tmp_path / "repo")])
    assert result.exit_code == 0 and "limited registry keeps no SQL schema" in result.output
    assert "nothing to migrate" in result.output


def test_migrating_where_there_is_no_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="nothing to migrate"):
        migrate_database(f"sqlite:///{tmp_path}/missing.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()
    with pytest.raises(ConfigError, match="no repository"):
        migrate_repository(str(tmp_path))


def test_a_migration_that_fails_half_way_leaves_the_registry_as_it_was(v1: Database, backdoor: sa.Engine) -> None:
    """Another session holds a lock the migration needs and it times out.

    On PostgreSQL the lock is on ``quantum``, altered last: the views are dropped and two tables
    altered before the wait, and all of it rolls back. On SQLite another writer holds the file.
    """
    before, types = snapshot(backdoor, v1.namespace), column_types(backdoor, v1.namespace)
    with backdoor.connect() as holder:
        if v1.namespace is None:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.execute(sa.text(f'LOCK TABLE "{v1.namespace}".quantum IN ACCESS SHARE MODE'))
        with pytest.raises(RegistryError, match="locked"):
            migrate_database(v1.url, namespace=v1.namespace, busy_timeout_s=0.5)
        holder.rollback()
    assert snapshot(backdoor, v1.namespace) == before
    assert column_types(backdoor, v1.namespace) == types
    assert revision(backdoor, v1.namespace) is None
    assert migrate_database(v1.url, namespace=v1.namespace).changed  # and it can be retried


def test_a_personal_registry_migrates_its_own_tables(tmp_path: Path) -> None:
    """Built by reverting a new personal registry to version 1 (on SQLite it lacks only the column types, which
    SQLite never enforced, the index of version 3, the calibration table and flag of version 4, the chain
    version of version 6 and the chain search table of version 8)."""
    release_url, personal_url = f"sqlite:///{tmp_path}/release.sqlite3", f"sqlite:///{tmp_path}/personal.sqlite3"
    SqlRegistry.create(release_url, default_universe()).close()
    with SqlRegistry.create(personal_url, default_universe(), release=Release(url=release_url)) as personal:
        personal.register_collection("u/bob/run", CollectionKind.RUN)
    engine = sa.create_engine(personal_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
        connection.execute(sa.text(f"DELETE FROM meta WHERE key = '{CHAIN_VERSION_KEY}'"))
        connection.execute(sa.text(f"DROP TABLE {VERSION_TABLE}"))
        connection.execute(sa.text("DROP INDEX ix_dataset_artifact_uri"))
        connection.execute(sa.text("DROP TABLE dataset_calib"))
        connection.execute(sa.text("DROP TABLE chain_search"))
        connection.execute(sa.text("ALTER TABLE dataset_type DROP COLUMN is_calibration"))
    with pytest.raises(RegistryError, match="databutler migrate"):
        SqlRegistry.open(personal_url)
    before = snapshot(engine, None)
    report = migrate_database(personal_url)
    assert (report.from_version, report.to_version) == ("1", SCHEMA_VERSION)
    assert snapshot(engine, None) == at_current_version(before)
    assert not sa.inspect(engine).get_view_names()  # a personal registry's views are made per connection
    engine.dispose()
    with SqlRegistry.open(personal_url) as personal:
        assert personal.get_collection("u/bob/run").kind is CollectionKind.RUN


def test_the_migrations_are_the_schema_versions_up_to_the_current_one() -> None:
    """Revision ids are the schema versions 1..N in a line, N the current one (the runner relies on it)."""
    scripts = {script.revision: script.down_revision for script in script_directory().walk_revisions()}
    assert scripts == {str(v): (str(v - 1) if v > 1 else None) for v in range(1, int(SCHEMA_VERSION) + 1)}
    assert script_directory().get_current_head() == SCHEMA_VERSION


def test_opening_a_registry_does_not_import_alembic(tmp_path: Path) -> None:
    """Alembic costs a noticeable part of a second to import: only create and migrate need it."""
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    SqlRegistry.create(url, default_universe()).close()
    code = ("import sys; from databutler.adapters.sql import SqlRegistry; "
            f"SqlRegistry.open({url!r}).close(); print('alembic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_migration_scripts_can_read_the_registry_they_migrate(tmp_path: Path) -> None:
    """A future script that changes DataUnit tables builds them from the registry's own universe."""
    from alembic.operations import Operations

    from databutler.adapters.sql.migrations import steps

    release_url, personal_url = f"sqlite:///{tmp_path}/release.sqlite3", f"sqlite:///{tmp_path}/personal.sqlite3"
    SqlRegistry.create(release_url, default_universe()).close()
    SqlRegistry.create(personal_url, default_universe(), release=Release(url=release_url)).close()
    for url, personal in ((release_url, False), (personal_url, True)):
        engine = sa.create_engine(url)
        with engine.connect() as connection, Operations.context(MigrationContext.configure(connection)):
            assert (steps.universe(), steps.personal(), steps.namespace()) == (default_universe(), personal, None)
        engine.dispose()


@pytest.mark.parametrize("rows", [["1", "2"], ["1"]])
def test_a_version_table_edited_by_hand_is_refused_with_a_domain_error(tmp_path: Path, rows: list[str]) -> None:
    """Two heads, or a revision that disagrees with meta: nothing is changed, and no Alembic error escapes."""
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    SqlRegistry.create(url, default_universe()).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DELETE FROM {VERSION_TABLE}"))
        for row in rows:
            connection.execute(sa.text(f"INSERT INTO {VERSION_TABLE} VALUES (:v)"), {"v": row})
    before = snapshot(engine, None)
    with pytest.raises(RegistryError, match=r"cannot migrate|changed outside databutler"):
        migrate_database(url)
    assert snapshot(engine, None) == before
    engine.dispose()
