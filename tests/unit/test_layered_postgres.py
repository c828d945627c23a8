"""A personal registry layered over a read-only release on a real PostgreSQL cluster.

The release registry (schema ``dr1``) is made by the superuser; the personal registry (schema
``personal`` of the same database) connects as a role with USAGE on ``dr1``, SELECT on its tables,
ownership of ``personal`` and nothing else. What must hold: the database itself refuses that role
any write into ``dr1``; the Python layer refuses a write aimed at the release with
ReleaseWriteError before the database is asked; nothing a personal session does changes one byte
of ``dr1``; and reads (lookups, chains, queries, SQL, provenance) see both layers as one.

Every test copies a template database made once per module, whose release holds the standard
DataUnit records, a RUN ``dr1/calexp`` of calexps, a TAGGED ``dr1/best`` and a CHAINED
``dr1/defaults``, and whose personal registry is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from databutler.adapters.sql import Release, SqlRegistry
from databutler.adapters.sql.layout import PERSONAL_ID_START
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetRef, DatasetType, Quantum, StoredArtifact
from databutler.domain.errors import ConfigError, RegistryError, ReleaseWriteError
from databutler.testing.data import insert_standard_data_units
from databutler.testing.postgres import PostgresRole, PostgresServer
from databutler.testing.registry import CALEXP, calexp_id

RELEASE = "dr1"
PERSONAL = "personal"
RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
BIAS = DatasetType("bias", ("instrument", "detector"), "StructuredData")
RELEASE_CALEXPS = [calexp_id(visit, detector) for visit in (1, 2) for detector in (1, 2)]
"""The calexps of RUN ``dr1/calexp``: the first two are tagged in ``dr1/best``, the first three have artifacts."""
REFUSED = "read-only release registry in schema 'dr1'"

Fingerprint = dict[str, Any]


@attrs.frozen
class Template:
    """A database holding the release and an empty personal registry, and what it holds."""

    database: str
    release_refs: tuple[DatasetRef, ...]
    fingerprint: Fingerprint


@attrs.frozen
class Layered:
    """One test's copy of the template: its database and the personal registry, open as ``role``."""

    server: PostgresServer
    role: PostgresRole
    database: str
    registry: SqlRegistry
    release_refs: tuple[DatasetRef, ...]
    fingerprint: Fingerprint

    def role_url(self) -> str:
        """The URL the personal registry connects with."""
        return self.server.url(user=self.role.name, password=self.role.password, database=self.database)

    def release_now(self) -> Fingerprint:
        """The release's content as it is now, read by the superuser."""
        return release_fingerprint(self.server, self.database)


def release_fingerprint(server: PostgresServer, database: str) -> Fingerprint:
    """Every relation of schema ``dr1`` with its kind and grants, each table's row count and content hash, and
    each sequence's position, read by the superuser without the registry (a backdoor)."""
    engine = sa.create_engine(server.url(database=database))
    try:
        with engine.connect() as connection:
            relations = connection.execute(sa.text(
                "SELECT c.relname, c.relkind, coalesce(c.relacl::text, '') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema ORDER BY c.relname"),
                {"schema": RELEASE}).all()
            tables = [name for name, kind, _ in relations if kind == "r"]
            contents: dict[str, tuple[int, str]] = {}
            for name in tables:
                count, digest = connection.execute(sa.text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f'FROM "{RELEASE}"."{name}" t')).one()
                contents[name] = (count, digest)
            sequences: dict[str, int] = dict(connection.execute(sa.text(
                "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = :schema"),
                {"schema": RELEASE}).all())
            schema_acl = connection.execute(sa.text(
                "SELECT nspacl::text FROM pg_namespace WHERE nspname = :schema"), {"schema": RELEASE}).scalar()
    finally:
        engine.dispose()
    assert {"collection", "dataset", "dataset_tag", "dataset_artifact", "visit"} <= set(tables)
    return {"relations": relations, "contents": contents, "sequences": sequences, "schema_acl": schema_acl}


def superuser_rows(server: PostgresServer, database: str, sql: str) -> list[sa.Row[Any]]:
    """The rows of ``sql`` run by the superuser in ``database``."""
    engine = sa.create_engine(server.url(database=database))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql)))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reader(postgres_server: PostgresServer) -> Iterator[PostgresRole]:
    """The unprivileged role the personal registry connects as (dropped after the module's databases)."""
    role = postgres_server.create_role("personal")
    yield role
    postgres_server.drop_role(role)


@pytest.fixture(scope="module")
def template(postgres_server: PostgresServer, reader: PostgresRole) -> Iterator[Template]:
    """The release, filled by the superuser, the role's grants, and an empty personal registry over it."""
    name = postgres_server.create_database()
    try:
        with SqlRegistry.create(postgres_server.url(database=name), default_universe(),
                                namespace=RELEASE) as release:
            insert_standard_data_units(release)
            release.register_dataset_type(CALEXP)
            release.register_dataset_type(BIAS)
            release.register_collection("dr1/calexp", RUN, "the release's calexps")
            refs = release.insert_datasets("calexp", "dr1/calexp", RELEASE_CALEXPS)
            release.register_collection("dr1/best", TAGGED)
            release.associate("dr1/best", refs[:2])
            release.register_collection("dr1/defaults", CHAINED)
            release.set_chain("dr1/defaults", ["dr1/best", "dr1/calexp"])
            release.insert_artifacts([StoredArtifact(ref.id, f"dr1/calexp/{ref.id}.json", "json", "StructuredData")
                                      for ref in refs[:3]])
        postgres_server.grant_release_reader(name, reader, release=RELEASE, personal=PERSONAL)
        fingerprint = release_fingerprint(postgres_server, name)
        SqlRegistry.create(postgres_server.url(user=reader.name, password=reader.password, database=name),
                           default_universe(), namespace=PERSONAL, release=Release(namespace=RELEASE)).close()
        yield Template(name, tuple(refs), fingerprint)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def layered(postgres_server: PostgresServer, reader: PostgresRole, template: Template) -> Iterator[Layered]:
    """A copy of the template with the role's personal registry open on it."""
    name = postgres_server.create_database(template.database)
    try:
        url = postgres_server.url(user=reader.name, password=reader.password, database=name)
        with SqlRegistry.open(url, namespace=PERSONAL) as registry:
            yield Layered(postgres_server, reader, name, registry, template.release_refs, template.fingerprint)
    finally:
        postgres_server.drop_database(name)


def test_creating_the_personal_registry_left_the_release_untouched(layered: Layered) -> None:
    assert layered.release_now() == layered.fingerprint
    assert layered.registry.get_collection("dr1/calexp").doc == "the release's calexps"


def test_a_role_that_owns_its_schema_creates_registries_there_without_create_on_the_database(
        postgres_server: PostgresServer, reader: PostgresRole) -> None:
    # The usual set-up of a shared database: the administrator makes a schema per user; users may not make
    # schemas themselves (no CREATE on the database), so creating a registry there must not need it.
    name = postgres_server.create_database()
    try:
        postgres_server.execute(f'CREATE SCHEMA mine AUTHORIZATION "{reader.name}"', database=name)
        url = postgres_server.url(user=reader.name, password=reader.password, database=name)
        with SqlRegistry.create(url, default_universe(), namespace="mine") as plain:
            assert plain.register_collection("u/alice/run", RUN) is True
        owners = superuser_rows(postgres_server, name,
                                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'mine'")
        assert [row[0] for row in owners] == [reader.name]
    finally:
        postgres_server.drop_database(name)


# -- the database refuses the role ----------------------------------------------------------

SQL_WRITES = {
    "insert": "INSERT INTO dr1.collection (id, name, kind, doc) VALUES (999, 'sneaky', 'RUN', '')",
    "update": "UPDATE dr1.collection SET doc = 'changed'",
    "delete": "DELETE FROM dr1.dataset_tag",
    "delete_datasets": "DELETE FROM dr1.dataset",
    "truncate": "TRUNCATE dr1.dataset_artifact",
    "drop": "DROP TABLE dr1.dataset_tag",
    "alter": "ALTER TABLE dr1.collection ADD COLUMN sneaky integer",
    "create": "CREATE TABLE dr1.sneaky (x integer)",
    "nextval": "SELECT nextval('dr1.collection_id_seq')",
    "select_for_update": "SELECT * FROM dr1.collection FOR UPDATE",  # row locks would block the release's owner
    "lock": "LOCK TABLE dr1.dataset IN EXCLUSIVE MODE",
}
"""Statements the role must not be able to run on the release (a GRANT by a non-owner is only a warning, and
the release's fingerprint checks it granted nothing)."""


@pytest.mark.parametrize("statement", SQL_WRITES.values(), ids=SQL_WRITES.keys())
def test_the_database_refuses_the_personal_role_any_write_into_the_release(layered: Layered, statement: str) -> None:
    engine = sa.create_engine(layered.role_url())
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM dr1.dataset")).scalar() == len(RELEASE_CALEXPS)
            connection.rollback()
            with pytest.raises((sa.exc.ProgrammingError, sa.exc.InternalError)) as caught:
                connection.execute(sa.text(statement))
            assert getattr(caught.value.orig, "sqlstate", None) == "42501", caught.value  # insufficient_privilege
            connection.rollback()
    finally:
        engine.dispose()
    assert layered.release_now() == layered.fingerprint  # the release is as the superuser made it


# -- the Python layer refuses first ---------------------------------------------------------

Refusal = Callable[[SqlRegistry, list[DatasetRef], DatasetRef], object]
"""A write aimed at the release: (personal registry, release refs, a personal calexp)."""


def _import_into_release_run(registry: SqlRegistry, release: list[DatasetRef], _mine: DatasetRef) -> object:
    data_id = registry.expand_data_ids(CALEXP.units, [calexp_id(3, 1)])[0]
    return registry.import_datasets([DatasetRef(release[0].dataset_type, data_id, "dr1/calexp")])


REFUSALS: dict[str, Refusal] = {
    "insert_datasets into a release run":
        lambda r, rel, mine: r.insert_datasets("calexp", "dr1/calexp", [calexp_id(3, 1)]),
    "import_datasets into a release run": _import_into_release_run,
    "associate a personal dataset into a release TAGGED": lambda r, rel, mine: r.associate("dr1/best", [mine]),
    "associate a release dataset into a release TAGGED": lambda r, rel, mine: r.associate("dr1/best", [rel[3]]),
    "disassociate from a release TAGGED": lambda r, rel, mine: r.disassociate("dr1/best", [rel[0]]),
    "set_chain of a release chain": lambda r, rel, mine: r.set_chain("dr1/defaults", ["dr1/calexp"]),
    "set_chain of a release chain to a personal run": lambda r, rel, mine: r.set_chain("dr1/defaults", [mine.run]),
    "remove a release TAGGED": lambda r, rel, mine: r.remove_collection("dr1/best"),
    "remove a release CHAINED": lambda r, rel, mine: r.remove_collection("dr1/defaults"),
    "remove a release RUN": lambda r, rel, mine: r.remove_collection("dr1/calexp"),
    "remove a release dataset type without datasets": lambda r, rel, mine: r.remove_dataset_type("bias"),
    "remove a release dataset type with datasets": lambda r, rel, mine: r.remove_dataset_type("calexp"),
    "remove release datasets": lambda r, rel, mine: r.remove_datasets([rel[0].id]),
    "remove personal and release datasets": lambda r, rel, mine: r.remove_datasets([mine.id, rel[3].id]),
    "insert an artifact of a release dataset":
        lambda r, rel, mine: r.insert_artifacts([StoredArtifact(rel[3].id, "mine.json", "json", "StructuredData")]),
    "insert artifacts of personal and release datasets": lambda r, rel, mine: r.insert_artifacts(
        [StoredArtifact(mine.id, "mine.json", "json", "StructuredData"),
         StoredArtifact(rel[3].id, "theirs.json", "json", "StructuredData")]),
    "remove artifacts of release datasets": lambda r, rel, mine: r.remove_artifacts([rel[0].id]),
    "remove artifacts of personal and release datasets":
        lambda r, rel, mine: r.remove_artifacts([mine.id, rel[1].id]),
}


def what_the_personal_registry_sees(registry: SqlRegistry, release: list[DatasetRef]) -> dict[str, Any]:
    """The release's collections, members, artifacts and types as the personal registry reads them."""
    return {
        "collections": registry.query_collections("dr1/*"),
        "members": {name: sorted(ref.id for ref in registry.datasets_in_collection(name))
                    for name in ("dr1/calexp", "dr1/best", "dr1/defaults")},
        "artifacts": registry.get_artifacts([ref.id for ref in release]),
        "types": registry.query_dataset_types(),
        "datasets": registry.get_datasets([ref.id for ref in release]),
    }


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_write_aimed_at_the_release_is_refused_before_the_database_sees_it(layered: Layered,
                                                                              refusal: Refusal) -> None:
    registry, release = layered.registry, list(layered.release_refs)
    registry.register_collection("u/alice/run", RUN)
    mine = registry.insert_datasets("calexp", "u/alice/run", [calexp_id(3, 2)])[0]
    registry.insert_artifacts([StoredArtifact(mine.id, "kept.json", "json", "StructuredData")])
    seen = what_the_personal_registry_sees(registry, release)
    with pytest.raises(ReleaseWriteError, match=REFUSED):
        refusal(registry, release, mine)
    assert layered.release_now() == layered.fingerprint  # not one byte of the release changed
    assert what_the_personal_registry_sees(registry, release) == seen  # nor what the personal registry reads
    # the personal layer is whole (nothing of a refused batch was written) and still writeable
    assert registry.get_datasets([mine.id]) == [mine]
    assert registry.get_artifacts([mine.id]) == {mine.id: [StoredArtifact(mine.id, "kept.json", "json",
                                                                           "StructuredData")]}
    assert registry.register_collection("u/alice/after", TAGGED) is True
    registry.associate("u/alice/after", [mine, release[3]])
    assert {ref.id for ref in registry.datasets_in_collection("u/alice/after")} == {mine.id, release[3].id}
    assert layered.release_now() == layered.fingerprint


# -- a whole personal session leaves the release as it was ----------------------------------

def test_a_whole_personal_session_leaves_every_release_table_unchanged(layered: Layered) -> None:
    registry, release = layered.registry, list(layered.release_refs)
    assert layered.release_now() == layered.fingerprint
    camera = {"name": "Cam3", "detector_max": 4, "visit_max": 100, "exposure_max": 1000, "class_name": "mine.Cam3"}
    assert registry.insert_data_units("instrument", [camera]) == 1
    assert registry.insert_data_units("detector", [{"instrument": "Cam3", "id": 1, "full_name": "S00",
                                                    "purpose": "SCIENCE"}]) == 1
    assert registry.register_dataset_type(CALEXP) is False  # the release's, identical: nothing to write
    assert registry.register_dataset_type(DatasetType("flat", ("instrument", "detector"), "StructuredData"))
    registry.register_collection("u/alice/run", RUN)
    registry.register_collection("u/alice/scratch", RUN)
    flats = registry.insert_datasets("flat", "u/alice/run", [{"instrument": "Cam1", "detector": 1},
                                                             {"instrument": "Cam3", "detector": 1}])
    bias = registry.insert_datasets("bias", "u/alice/run", [{"instrument": "Cam1", "detector": 2}])[0]
    calexp = registry.insert_datasets("calexp", "u/alice/run", [calexp_id(1, 1)])[0]  # shadows release[0]
    scratch = registry.insert_datasets("calexp", "u/alice/scratch", [calexp_id(4, 4)])[0]
    registry.insert_artifacts([StoredArtifact(ref.id, f"u/alice/{ref.id}.json", "json", "StructuredData")
                               for ref in (*flats, bias, calexp, scratch)])
    registry.register_collection("u/alice/picks", TAGGED)
    registry.associate("u/alice/picks", [release[2], flats[0]])
    registry.disassociate("u/alice/picks", [flats[0]])
    registry.register_collection("u/alice/chain", CHAINED)
    registry.set_chain("u/alice/chain", ["u/alice/run", "u/alice/picks", "dr1/defaults"])
    registry.insert_quanta([Quantum("calibrate", "u/alice/run", None, inputs=[release[0].id, flats[0].id],
                                    outputs=[calexp.id])])
    registry.remove_artifacts([scratch.id])
    registry.remove_datasets([scratch.id])
    registry.remove_collection("u/alice/scratch")
    assert registry.find_datasets("calexp", [calexp_id(1, 1), calexp_id(1, 2)], ["u/alice/chain"]) == [
        calexp, release[1]]
    assert [row["n"] for row in registry.select_sql("SELECT count(*) AS n FROM v_dataset")] == [len(release) + 4]
    registry.close()
    assert layered.release_now() == layered.fingerprint  # every dr1 table, sequence and grant as before
    personal = superuser_rows(layered.server, layered.database, "SELECT "
                              + ", ".join(f"(SELECT count(*) FROM personal.{table})"
                                          for table in ("dataset", "collection", "instrument", "quantum")))
    assert tuple(personal[0]) == (4, 3, 1, 1)  # the session did write: into its own schema


# -- a user's datasets made from release datasets --------------------------------------------

def test_personal_outputs_of_release_inputs_are_found_through_one_chain(layered: Layered) -> None:
    registry, release = layered.registry, list(layered.release_refs)
    registry.register_collection("u/alice/run", RUN)
    registry.register_collection("u/alice/chain", CHAINED)
    registry.set_chain("u/alice/chain", ["u/alice/run", "dr1/calexp"])
    registry.register_dataset_type(DatasetType("src", CALEXP.units, "StructuredData"))
    outputs = registry.insert_datasets("src", "u/alice/run", RELEASE_CALEXPS[:2])
    mine = registry.insert_datasets("calexp", "u/alice/run", [RELEASE_CALEXPS[1]])[0]  # a redo of release[1]
    quantum = Quantum("measure", "u/alice/run", None, inputs=[release[0].id, release[1].id],
                      outputs=[ref.id for ref in (*outputs, mine)])
    registry.insert_quanta([quantum])

    found = registry.find_datasets("calexp", RELEASE_CALEXPS, ["u/alice/chain"])
    assert found == [release[0], mine, release[2], release[3]]  # the personal run first, then the release
    assert registry.find_datasets("src", RELEASE_CALEXPS, ["u/alice/chain"]) == [*outputs, None, None]

    first = registry.query_datasets("calexp", ["u/alice/chain"], find_first=True)
    assert sorted(((ref.run, ref.id) for ref in first), key=str) == sorted(
        [("dr1/calexp", release[0].id), ("u/alice/run", mine.id), ("dr1/calexp", release[2].id),
         ("dr1/calexp", release[3].id)], key=str)
    every = registry.query_datasets(["calexp", "src"], ["u/alice/chain"])
    assert {ref.id for ref in every} == {*(ref.id for ref in release), mine.id, *(ref.id for ref in outputs)}
    counts = {row["run"]: row["n"] for row in registry.select_sql(
        "SELECT run, count(*) AS n FROM v_dataset GROUP BY run")}
    assert counts == {"dr1/calexp": len(release), "u/alice/run": 3}

    for release_input in (release[0].id, release[1].id):
        assert [q.id for q in registry.find_quanta(input=release_input)] == [quantum.id]
    assert registry.find_quanta(input=release[2].id) == []
    assert [q.id for q in registry.find_quanta(output=outputs[0].id)] == [quantum.id]
    assert registry.get_quanta([quantum.id])[0] == attrs.evolve(quantum, metadata={})
    assert layered.release_now() == layered.fingerprint

    with SqlRegistry.open(layered.role_url(), namespace=PERSONAL, writeable=False) as again:  # what was recorded
        assert again.find_datasets("calexp", RELEASE_CALEXPS, ["u/alice/chain"]) == found
        assert [q.id for q in again.find_quanta(input=release[0].id)] == [quantum.id]


def test_personal_ids_start_at_personal_id_start_and_release_ids_stay_below(layered: Layered) -> None:
    registry = layered.registry
    registry.register_collection("u/alice/run", RUN)
    registry.register_collection("u/alice/tags", TAGGED)
    registry.register_dataset_type(DatasetType("flat", ("instrument", "detector"), "StructuredData"))
    collections = superuser_rows(layered.server, layered.database,
                                 "SELECT name, id FROM personal.collection ORDER BY id")
    assert [tuple(row) for row in collections] == [("u/alice/run", PERSONAL_ID_START),
                                                   ("u/alice/tags", PERSONAL_ID_START + 1)]
    types = superuser_rows(layered.server, layered.database, "SELECT name, id FROM personal.dataset_type")
    assert [tuple(row) for row in types] == [("flat", PERSONAL_ID_START)]
    release_highest = superuser_rows(layered.server, layered.database, "SELECT (SELECT max(id) FROM dr1.collection), "
                                     "(SELECT max(id) FROM dr1.dataset_type)")
    assert all(0 < value < PERSONAL_ID_START for value in release_highest[0])


# -- misconfiguration ------------------------------------------------------------------------

def test_a_release_in_the_personal_registrys_own_schema_is_a_config_error(layered: Layered) -> None:
    with pytest.raises(ConfigError, match="both in schema 'personal'"):
        SqlRegistry.open(layered.role_url(), namespace=PERSONAL, release=Release(namespace=PERSONAL))
    with pytest.raises(ConfigError, match="both in schema 'dr1'"):
        SqlRegistry.create(layered.server.url(database=layered.database), default_universe(), namespace=RELEASE,
                           release=Release(namespace=RELEASE))
    assert layered.release_now() == layered.fingerprint


def test_a_release_schema_without_a_registry_is_a_registry_error(layered: Layered) -> None:
    layered.server.execute("CREATE SCHEMA empty", database=layered.database)
    superuser = layered.server.url(database=layered.database)
    for where in ("empty", "nowhere"):
        with pytest.raises(RegistryError, match=f"no databutler registry in schema '{where}'"):
            SqlRegistry.create(superuser, default_universe(), namespace="mine", release=Release(namespace=where))
        with pytest.raises(RegistryError, match=f"no databutler registry in schema '{where}'"):
            SqlRegistry.open(layered.role_url(), namespace=PERSONAL, release=Release(namespace=where))
    assert superuser_rows(layered.server, layered.database,
                          "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mine'")[0][0] == 0


def test_opening_a_plain_registry_with_a_release_is_a_registry_error(layered: Layered) -> None:
    superuser = layered.server.url(database=layered.database)
    with pytest.raises(RegistryError, match="not a personal registry"):
        SqlRegistry.open(superuser, namespace=RELEASE, release=Release(namespace=PERSONAL))
    SqlRegistry.create(superuser, default_universe(), namespace="plain").close()
    with pytest.raises(RegistryError, match="not a personal registry"):
        SqlRegistry.open(superuser, namespace="plain", release=Release(namespace=RELEASE))
    with SqlRegistry.open(superuser, namespace="plain") as plain:  # still a plain registry, untouched
        assert plain.query_collections() == []


def test_a_personal_registry_cannot_be_a_release(layered: Layered) -> None:
    superuser = layered.server.url(database=layered.database)
    with pytest.raises(RegistryError, match="itself a personal registry"):
        SqlRegistry.create(superuser, default_universe(), namespace="second", release=Release(namespace=PERSONAL))


def test_a_release_in_another_database_is_a_config_error(layered: Layered) -> None:
    elsewhere = layered.server.url(database="postgres")
    with pytest.raises(ConfigError, match="own database"):
        SqlRegistry.open(layered.role_url(), namespace=PERSONAL, release=Release(url=elsewhere, namespace=RELEASE))


def test_a_release_with_ids_in_the_personal_range_cannot_be_layered(layered: Layered) -> None:
    layered.server.execute(f"INSERT INTO dr1.collection (id, name, kind, doc) VALUES ({PERSONAL_ID_START}, "
                           "'dr1/late', 'TAGGED', '')", database=layered.database)
    assert layered.release_now() != layered.fingerprint  # (the fingerprint sees a change of one row)
    with pytest.raises(RegistryError, match="collection ids up to"):
        SqlRegistry.open(layered.role_url(), namespace=PERSONAL)
