"""A personal SQLite registry layered over a read-only Data Release registry file.

The release (made once per module, copied by each test) holds the standard DataUnit records, the
dataset types ``calexp`` and ``deepCoadd`` (the latter without datasets), RUN ``dr1/calexp``
with four calexps (all but one with an artifact), the empty RUN ``dr1/empty``, TAGGED
``dr1/best`` holding one of them, CHAINED ``dr1`` = [dr1/calexp, dr1/best] and one quantum. The
personal registry over it starts with RUN ``u/alice/run1`` (one calexp with an artifact) and
TAGGED ``u/alice/tagged``.

What must hold whatever a test did: the release file is byte-for-byte unchanged (checked when
every ``layered`` fixture is torn down), refused writes change neither layer, and allowed writes
land in the personal layer only.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from databutler import ReleaseWriteError
from databutler.adapters.sql import Release, SqlRegistry, make_registry
from databutler.adapters.sql.layout import PERSONAL_ID_START
from databutler.adapters.sql.release import Layering
from databutler.config.universe import default_universe
from databutler.domain import (
    CollectionKind,
    CollectionKindError,
    ConfigError,
    ConflictingDefinitionError,
    DataId,
    DataIdError,
    DatasetRef,
    DatasetType,
    Quantum,
    ReadOnlyError,
    RegistryError,
    StoredArtifact,
    Universe,
)
from databutler.testing.data import VISIT_PATCH_OVERLAPS, detector_region, insert_standard_data_units, standard_records
from databutler.testing.registry import CALEXP, COADD, TINY_UNIVERSE

RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
RELEASE_COLLECTIONS = {"dr1/calexp": RUN, "dr1/empty": RUN, "dr1/best": TAGGED, "dr1": CHAINED}
PERSONAL_RUN, PERSONAL_TAGGED = "u/alice/run1", "u/alice/tagged"


def calexp_id(visit: int, detector: int, instrument: str = "Cam1") -> dict[str, Any]:
    return {"instrument": instrument, "visit": visit, "detector": detector}


def artifact(dataset_id: uuid.UUID, uri: str = "x.json") -> StoredArtifact:
    return StoredArtifact(dataset_id, uri, "json", "StructuredData", "blake2b:00", 2)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wal_is_empty(path: Path) -> bool:
    """Whether the database ``path`` has no write-ahead log, or an empty one."""
    wal = path.with_name(path.name + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


def snapshot(registry: SqlRegistry) -> dict[str, Any]:
    """Everything a test may change, as the registry reads it (both layers)."""
    collections = registry.query_collections()
    members = {c.name: sorted(str(r.id) for r in registry.datasets_in_collection(c.name))
               for c in collections if c.kind is not CHAINED}
    ids = [uuid.UUID(i) for names in members.values() for i in names]
    return {
        "collections": collections,
        "dataset_types": registry.query_dataset_types(),
        "members": members,
        "artifacts": registry.get_artifacts(ids),
        "quanta": sorted(str(q.id) for q in registry.find_quanta()),
        "records": {name: sorted(map(repr, registry.fetch_data_unit_records(name)))
                    for name in ("instrument", "band", "physical_filter", "visit", "visit_detector_region")},
    }


def release_contents(path: Path) -> dict[str, Any]:
    """The release as a plain, read-only registry opened on its own file reads it."""
    with SqlRegistry.open(f"sqlite:///{path}", writeable=False) as registry:
        return snapshot(registry)


# -- the release -------------------------------------------------------------------------------


@attrs.frozen
class ReleaseFile:
    """The prepared release file and the ids of its datasets, by (visit, detector)."""

    path: Path
    calexps: dict[tuple[int, int], uuid.UUID]
    quantum: uuid.UUID


@pytest.fixture(scope="module")
def release_file(tmp_path_factory: pytest.TempPathFactory) -> ReleaseFile:
    path = tmp_path_factory.mktemp("release") / "release.sqlite3"
    with SqlRegistry.create(f"sqlite:///{path}", default_universe()) as registry:
        insert_standard_data_units(registry)
        registry.register_dataset_type(CALEXP)
        registry.register_dataset_type(COADD)
        for name, kind in RELEASE_COLLECTIONS.items():
            registry.register_collection(name, kind, doc=f"release {name}")
        keys = [(v, d) for v in (1, 2) for d in (1, 2)]
        refs = registry.insert_datasets("calexp", "dr1/calexp", [calexp_id(v, d) for v, d in keys])
        registry.insert_artifacts([artifact(ref.id, f"dr1/{ref.id}.json") for ref in refs[:-1]])
        registry.associate("dr1/best", refs[:1])
        registry.set_chain("dr1", ["dr1/calexp", "dr1/best"])
        quantum = Quantum("calibrate", "dr1/calexp", None, outputs=[ref.id for ref in refs])
        registry.insert_quanta([quantum])
    return ReleaseFile(path, {key: ref.id for key, ref in zip(keys, refs, strict=True)}, quantum.id)


@attrs.frozen
class Layered:
    """One test's personal registry over its own copy of the release."""

    registry: SqlRegistry
    release: Path
    personal: Path
    release_ids: dict[tuple[int, int], uuid.UUID]
    mine: DatasetRef

    def release_ref(self, visit: int, detector: int) -> DatasetRef:
        found = self.registry.get_datasets([self.release_ids[(visit, detector)]])[0]
        assert found is not None
        return found


def copy_release(release_file: ReleaseFile, directory: Path) -> Path:
    copy = directory / "release.sqlite3"
    shutil.copyfile(release_file.path, copy)
    return copy


@pytest.fixture
def layered(tmp_path: Path, release_file: ReleaseFile) -> Iterator[Layered]:
    release = copy_release(release_file, tmp_path)
    before = sha256(release)
    personal = tmp_path / "personal.sqlite3"
    registry = SqlRegistry.create(f"sqlite:///{personal}", default_universe(),
                                  release=Release(url=f"sqlite:///{release}"))
    try:
        registry.register_collection(PERSONAL_RUN, RUN)
        registry.register_collection(PERSONAL_TAGGED, TAGGED)
        (mine,) = registry.insert_datasets("calexp", PERSONAL_RUN, [calexp_id(1, 3)])
        registry.insert_artifacts([artifact(mine.id, "mine.json")])
        yield Layered(registry, release, personal, release_file.calexps, mine)
    finally:
        registry.close()
    assert sha256(release) == before, "the release file changed"
    assert wal_is_empty(release)


def raw(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path))


# -- refusals ----------------------------------------------------------------------------------


def _import_new_into_release(layered: Layered) -> None:
    new = DatasetRef(CALEXP, DataId(calexp_id(3, 1)), "dr1/calexp", uuid.uuid4())
    layered.registry.import_datasets([new])


def _import_mixed(layered: Layered) -> None:
    """A new personal run's dataset first, then one into the release run: all or nothing."""
    personal = DatasetRef(CALEXP, DataId(calexp_id(4, 4)), "u/alice/imported", uuid.uuid4())
    release = DatasetRef(CALEXP, DataId(calexp_id(3, 1)), "dr1/calexp", uuid.uuid4())
    layered.registry.import_datasets([personal, layered.release_ref(1, 1), release])


REFUSALS: dict[str, tuple[Callable[[Layered], object], Callable[[Layered], str]]] = {
    "insert_datasets into a release run": (
        lambda s: s.registry.insert_datasets("calexp", "dr1/calexp", [calexp_id(3, 1)]),
        lambda s: "collection 'dr1/calexp'"),
    "insert_datasets with ids into a release run": (
        lambda s: s.registry.insert_datasets("calexp", "dr1/calexp", [calexp_id(3, 1)], ids=[uuid.uuid4()]),
        lambda s: "collection 'dr1/calexp'"),
    "import_datasets of a new ref into a release run": (_import_new_into_release, lambda s: "'dr1/calexp'"),
    "import_datasets mixing personal and release runs": (_import_mixed, lambda s: "'dr1/calexp'"),
    "associate into a release TAGGED": (
        lambda s: s.registry.associate("dr1/best", [s.release_ref(2, 1)]), lambda s: "collection 'dr1/best'"),
    "associate a personal dataset into a release TAGGED": (
        lambda s: s.registry.associate("dr1/best", [s.mine]), lambda s: "collection 'dr1/best'"),
    "disassociate from a release TAGGED": (
        lambda s: s.registry.disassociate("dr1/best", [s.release_ref(1, 1)]), lambda s: "collection 'dr1/best'"),
    "set_chain on a release chain": (
        lambda s: s.registry.set_chain("dr1", ["dr1/calexp"]), lambda s: "collection 'dr1'"),
    "set_chain of a release chain to personal children": (
        lambda s: s.registry.set_chain("dr1", [PERSONAL_RUN, "dr1/calexp"]), lambda s: "collection 'dr1'"),
    "remove_collection of an empty release RUN": (
        lambda s: s.registry.remove_collection("dr1/empty"), lambda s: "collection 'dr1/empty'"),
    "remove_collection of a release TAGGED": (
        lambda s: s.registry.remove_collection("dr1/best"), lambda s: "collection 'dr1/best'"),
    "remove_collection of a release CHAINED": (
        lambda s: s.registry.remove_collection("dr1"), lambda s: "collection 'dr1'"),
    "remove_dataset_type of a release type without datasets": (
        lambda s: s.registry.remove_dataset_type("deepCoadd"), lambda s: "dataset type 'deepCoadd'"),
    "remove_datasets of a release dataset": (
        lambda s: s.registry.remove_datasets([s.release_ids[(2, 2)]]), lambda s: f"dataset {s.release_ids[(2, 2)]}"),
    "remove_datasets mixing personal and release datasets": (
        lambda s: s.registry.remove_datasets([s.mine.id, s.release_ids[(1, 2)]]),
        lambda s: f"dataset {s.release_ids[(1, 2)]}"),
    "insert_artifacts for a release dataset without any": (
        lambda s: s.registry.insert_artifacts([artifact(s.release_ids[(2, 2)])]),
        lambda s: f"dataset {s.release_ids[(2, 2)]}"),
    "insert_artifacts for a release dataset's component": (
        lambda s: s.registry.insert_artifacts([attrs.evolve(artifact(s.release_ids[(1, 1)]), component="wcs")]),
        lambda s: f"dataset {s.release_ids[(1, 1)]}"),
    "remove_artifacts of a release dataset": (
        lambda s: s.registry.remove_artifacts([s.release_ids[(1, 1)]]), lambda s: f"dataset {s.release_ids[(1, 1)]}"),
    "remove_artifacts mixing personal and release datasets": (
        lambda s: s.registry.remove_artifacts([s.mine.id, s.release_ids[(1, 2)]]),
        lambda s: f"dataset {s.release_ids[(1, 2)]}"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_writes_aimed_at_the_release_are_refused_and_change_nothing(layered: Layered, case: str) -> None:
    action, names = REFUSALS[case]
    before = snapshot(layered.registry)
    with pytest.raises(ReleaseWriteError) as raised:
        action(layered)
    message = str(raised.value)
    assert isinstance(raised.value, ReadOnlyError)
    assert names(layered) in message
    assert "read-only release registry" in message and str(layered.release) in message
    # Neither layer changed, and the registry goes on working.
    assert snapshot(layered.registry) == before
    assert not layered.registry.query_collections("u/alice/imported")
    layered.registry.register_collection("u/alice/after", RUN)
    assert layered.registry.insert_datasets("calexp", "u/alice/after", [calexp_id(2, 2)])


def test_refusals_inside_a_transaction_leave_the_earlier_writes_of_the_block_undone(layered: Layered) -> None:
    registry = layered.registry
    before = snapshot(registry)
    with pytest.raises(ReleaseWriteError), registry.transaction():
        registry.register_collection("u/alice/run2", RUN)
        registry.insert_datasets("calexp", "u/alice/run2", [calexp_id(4, 1)])
        registry.insert_datasets("calexp", "dr1/calexp", [calexp_id(4, 1)])
    assert snapshot(registry) == before


def test_importing_refs_the_release_already_holds_is_a_no_op(layered: Layered) -> None:
    registry = layered.registry
    held = [layered.release_ref(1, 1), layered.release_ref(2, 2)]
    before = snapshot(registry)
    imported = registry.import_datasets(held)
    assert [(r.id, r.run, r.data_id) for r in imported] == [(r.id, r.run, r.data_id) for r in held]
    assert snapshot(registry) == before
    with raw(layered.personal) as connection:
        assert connection.execute("SELECT count(*) FROM dataset").fetchone() == (1,)  # the personal calexp only
    # With a personal dataset to import too, only that one is written, to the personal layer.
    new = DatasetRef(CALEXP, DataId(calexp_id(4, 4)), "u/alice/imported", uuid.uuid4())
    registry.import_datasets([*held, new])
    assert [r.id for r in registry.datasets_in_collection("u/alice/imported")] == [new.id]
    assert sorted(str(r.id) for r in registry.datasets_in_collection("dr1/calexp")) == before["members"]["dr1/calexp"]
    with raw(layered.personal) as connection:
        assert connection.execute("SELECT count(*) FROM dataset").fetchone() == (2,)


def test_importing_a_release_id_with_another_definition_is_a_conflict(layered: Layered) -> None:
    moved = DatasetRef(CALEXP, DataId(calexp_id(1, 1)), PERSONAL_RUN, layered.release_ids[(1, 1)])
    with pytest.raises(ConflictingDefinitionError, match=str(layered.release_ids[(1, 1)])):
        layered.registry.import_datasets([moved])
    assert layered.registry.get_datasets([moved.id])[0] == layered.release_ref(1, 1)
    assert layered.release_ref(1, 1).run == "dr1/calexp"


# -- what is allowed ---------------------------------------------------------------------------


def test_personal_collections_and_dataset_types_are_numbered_from_personal_id_start(layered: Layered) -> None:
    registry = layered.registry
    summary = DatasetType("summary", ("instrument", "visit"), "StructuredDataDict")
    assert registry.register_dataset_type(summary) is True
    registry.register_collection("u/alice/chain", CHAINED)
    with raw(layered.personal) as connection:
        collections = dict(connection.execute("SELECT name, id FROM collection").fetchall())
        types = dict(connection.execute("SELECT name, id FROM dataset_type").fetchall())
    assert collections == {PERSONAL_RUN: PERSONAL_ID_START, PERSONAL_TAGGED: PERSONAL_ID_START + 1,
                           "u/alice/chain": PERSONAL_ID_START + 2}
    assert types == {"summary": PERSONAL_ID_START}
    with raw(layered.release) as connection:
        assert max(row[0] for row in connection.execute("SELECT id FROM collection")) < PERSONAL_ID_START
        assert {row[0] for row in connection.execute("SELECT name FROM collection")} == set(RELEASE_COLLECTIONS)
    assert registry.get_dataset_type("summary") == summary
    assert [t.name for t in registry.query_dataset_types()] == ["calexp", "deepCoadd", "summary"]


def test_registering_what_the_release_has_is_a_no_op_and_another_kind_is_refused(layered: Layered) -> None:
    registry = layered.registry
    before = snapshot(registry)
    assert registry.register_dataset_type(CALEXP) is False
    for name, kind in RELEASE_COLLECTIONS.items():
        assert registry.register_collection(name, kind) is False
    assert snapshot(registry) == before
    with pytest.raises(CollectionKindError, match="dr1/calexp"):
        registry.register_collection("dr1/calexp", TAGGED)
    with pytest.raises(CollectionKindError, match="dr1/best"):
        registry.register_collection("dr1/best", RUN)
    with pytest.raises(ConflictingDefinitionError, match="calexp"):
        registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit"), "StructuredData"))
    assert snapshot(registry) == before
    with raw(layered.personal) as connection:
        assert connection.execute("SELECT count(*) FROM dataset_type").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM collection").fetchone() == (2,)


def test_release_data_unit_records_are_skipped_only_with_skip_existing(layered: Layered) -> None:
    registry = layered.registry
    records = standard_records()
    before = snapshot(registry)
    for element in ("instrument", "physical_filter", "visit", "visit_detector_region"):
        assert registry.insert_data_units(element, records[element], skip_existing=True) == 0
        with pytest.raises(ConflictingDefinitionError, match="skip_existing"):
            registry.insert_data_units(element, records[element][:1])
    changed = {**records["visit"][0], "target_name": "elsewhere"}
    with pytest.raises(ConflictingDefinitionError, match="different values"):
        registry.insert_data_units("visit", [changed], skip_existing=True)
    assert snapshot(registry) == before
    with raw(layered.personal) as connection:
        for table in ("instrument", "band", "physical_filter", "visit", "visit_detector_region"):
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_personal_data_unit_records_may_refer_to_release_parents(layered: Layered) -> None:
    registry = layered.registry
    template = next(r for r in standard_records()["visit"] if r["instrument"] == "Cam1" and r["id"] == 3)
    new_visit = {**template, "id": 5, "name": "visit5", "target_name": "field3"}  # Cam1-r, day_obs 20240102
    assert registry.insert_data_units("visit", [new_visit]) == 1
    assert registry.insert_data_units("visit_detector_region", [
        {"instrument": "Cam1", "visit": 5, "detector": d, "region": detector_region("Cam1", 3, d)}
        for d in (1, 2, 3)]) == 3
    # Overlaps between personal records and release records are computed from their regions (visit 5 = visit 3).
    overlaps = registry.query_data_ids(("visit", "patch"), where="instrument = 'Cam1' AND visit = 5")
    assert {(d["tract"], d["patch"]) for d in overlaps} == set(VISIT_PATCH_OVERLAPS[("Cam1", 3)])
    by_detector = registry.query_data_ids(("visit", "detector", "patch"), where="instrument = 'Cam1' AND visit = 5")
    assert {(d["detector"], d["patch"]) for d in by_detector} == {(1, 2), (2, 2), (3, 3)}
    # A new physical filter of a band the release has, and one of a new band.
    assert registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-r2", "band": "r"},
                                                          {"instrument": "Cam1", "name": "Cam1-i", "band": "i"}]) == 2
    assert sorted(r["name"] for r in registry.fetch_data_unit_records("band")) == ["g", "i", "r"]
    with raw(layered.personal) as connection:
        assert connection.execute("SELECT name FROM band").fetchall() == [("i",)]
        assert connection.execute("SELECT instrument, id FROM visit").fetchall() == [("Cam1", 5)]
    with pytest.raises(DataIdError, match="Cam9"):
        registry.insert_data_units("visit", [{**new_visit, "instrument": "Cam9"}])
    with pytest.raises(DataIdError, match="Cam1-x"):
        registry.insert_data_units("visit", [{**new_visit, "id": 6, "physical_filter": "Cam1-x"}])
    # Found by queries, with the implied values read from the release's records.
    (ref,) = registry.insert_datasets("calexp", PERSONAL_RUN, [calexp_id(5, 2)])
    assert ref.data_id.full["band"] == "r" and ref.data_id.full["day_obs"] == 20240102
    assert {d["visit"] for d in registry.query_data_ids("visit", where="instrument = 'Cam1' AND band = 'r'")} == \
        {3, 4, 5}
    found = list(registry.query_datasets("calexp", [PERSONAL_RUN, "dr1/calexp"],
                                         where="visit.target_name = 'field3' AND detector.purpose = 'SCIENCE'"))
    assert [r.id for r in found] == [ref.id]
    assert registry.query_data_unit_records("visit", where="visit.target_name = 'field3'").count() == 1
    assert len(release_contents(layered.release)["records"]["visit"]) == 8  # the release has no visit 5


def test_release_datasets_may_be_tagged_into_a_personal_tagged_collection(layered: Layered) -> None:
    registry = layered.registry
    theirs = layered.release_ref(2, 1)
    registry.associate(PERSONAL_TAGGED, [theirs, layered.mine])
    assert registry.find_datasets("calexp", [calexp_id(2, 1)], [PERSONAL_TAGGED]) == [theirs]
    assert {r.id for r in registry.datasets_in_collection(PERSONAL_TAGGED)} == {theirs.id, layered.mine.id}
    found = registry.query_datasets("calexp", [PERSONAL_TAGGED],
                                    where="instrument = 'Cam1' AND band = 'g' AND detector = 1")
    assert [r.id for r in found] == [theirs.id]
    # The release's tagged collection did not gain it; the tag row is personal.
    assert [r.id for r in registry.datasets_in_collection("dr1/best")] == [layered.release_ids[(1, 1)]]
    with raw(layered.personal) as connection:
        assert connection.execute("SELECT count(*) FROM dataset_tag").fetchone() == (2,)
    registry.disassociate(PERSONAL_TAGGED, [theirs])
    assert [r.id for r in registry.datasets_in_collection(PERSONAL_TAGGED)] == [layered.mine.id]
    assert registry.get_datasets([theirs.id]) == [theirs]


def test_personal_chains_may_hold_release_collections(layered: Layered) -> None:
    registry = layered.registry
    registry.register_collection("u/alice/all", CHAINED)
    registry.set_chain("u/alice/all", [PERSONAL_RUN, "dr1"])
    assert registry.resolve_collections(["u/alice/all"]) == (PERSONAL_RUN, "dr1/calexp", "dr1/best")
    (mine_v1d1,) = registry.insert_datasets("calexp", PERSONAL_RUN, [calexp_id(1, 1)])
    assert registry.find_datasets("calexp", [calexp_id(1, 1), calexp_id(2, 2)], ["u/alice/all"]) == [
        mine_v1d1, layered.release_ref(2, 2)]
    assert registry.find_datasets("calexp", [calexp_id(1, 1)], ["dr1", PERSONAL_RUN]) == [layered.release_ref(1, 1)]
    # Removing a release collection's personal parent chain is allowed; the release chain stays.
    registry.remove_collection("u/alice/all")
    assert registry.get_collection("dr1").children == ("dr1/calexp", "dr1/best")


# -- the database refuses writes too -----------------------------------------------------------


def test_the_attached_release_is_read_only_for_the_database_itself(layered: Layered) -> None:
    before = sha256(layered.release)
    layered.registry.close()
    layering = Layering(Release(url=f"sqlite:///{layered.release}"), sa.make_url(f"sqlite:///{layered.personal}"),
                        None)
    dialect = sqlite_dialect.dialect()
    with raw(layered.personal) as connection:
        layering.prepare(connection, dialect)
        databases = {row[1]: row[2] for row in connection.execute("PRAGMA database_list")}
        assert Path(databases["release"]) == layered.release
        assert connection.execute("SELECT count(*) FROM release.collection").fetchone() == (4,)
        for statement in ("INSERT INTO release.collection (name, kind, doc) VALUES ('x', 'RUN', '')",
                          "UPDATE release.collection SET doc = 'changed'",
                          "DELETE FROM release.dataset",
                          "DELETE FROM release.meta",
                          "CREATE TABLE release.intruder (x INTEGER)"):
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                connection.execute(statement)
            connection.rollback()
        # With the union views, the unqualified names are views, which cannot be written either.
        layering.use_universe(default_universe())
    with raw(layered.personal) as connection:
        layering.prepare(connection, dialect)
        assert connection.execute("SELECT count(*) FROM collection").fetchone() == (6,)  # both layers
        with pytest.raises(sqlite3.OperationalError, match="view"):
            connection.execute("INSERT INTO collection (name, kind, doc) VALUES ('x', 'RUN', '')")
        connection.rollback()
        # The personal tables remain writeable on the same connection (then rolled back).
        connection.execute("INSERT INTO main.collection (name, kind, doc) VALUES ('x', 'RUN', '')")
        assert connection.execute("SELECT count(*) FROM collection WHERE name = 'x'").fetchone() == (1,)
        connection.rollback()
    assert sha256(layered.release) == before
    assert wal_is_empty(layered.release)


# -- union reads -------------------------------------------------------------------------------


def test_reads_see_both_layers_as_one(layered: Layered) -> None:
    registry = layered.registry
    (mine_v2d1,) = registry.insert_datasets("calexp", PERSONAL_RUN, [calexp_id(2, 1)])
    names = {c.name: c.kind for c in registry.query_collections()}
    assert names == {**RELEASE_COLLECTIONS, PERSONAL_RUN: RUN, PERSONAL_TAGGED: TAGGED}
    assert registry.get_collection("dr1/calexp").doc == "release dr1/calexp"
    assert {c.name for c in registry.query_collections("dr1*", kinds=[RUN])} == {"dr1/calexp", "dr1/empty"}
    rows = {(r["name"], r["kind"]) for r in registry.select_sql("SELECT name, kind FROM v_collection")}
    assert rows == {(n, k.value) for n, k in names.items()}
    per_run = {r["run"]: r["n"] for r in registry.select_sql(
        "SELECT run, count(*) AS n FROM v_dataset WHERE dataset_type = :t GROUP BY run", {"t": "calexp"})}
    assert per_run == {"dr1/calexp": 4, PERSONAL_RUN: 2}
    joined = {(r["run"], r["target_name"]) for r in registry.select_sql(
        "SELECT d.run, v.target_name FROM v_dataset d JOIN v_visit v ON v.instrument = d.instrument "
        "AND v.id = d.visit WHERE d.detector = 1")}
    assert joined == {("dr1/calexp", "field1"), (PERSONAL_RUN, "field1")}
    artifacts = {r["uri"] for r in registry.select_sql("SELECT uri FROM v_dataset_artifact")}
    assert "mine.json" in artifacts and len(artifacts) == 4
    # query_datasets: release DataUnit records (band, exposure_time) joined with both layers' datasets.
    search = [PERSONAL_RUN, "dr1/calexp"]
    where = "band = 'g' AND visit.exposure_time > 20 AND detector.purpose = 'SCIENCE'"  # visit 1 only
    found = {(r.run, r.data_id["detector"]) for r in registry.query_datasets("calexp", search, where=where)}
    assert found == {("dr1/calexp", 1), ("dr1/calexp", 2), (PERSONAL_RUN, 3)}
    first = {r.id for r in registry.query_datasets("calexp", search, where="instrument = 'Cam1' AND visit = 2",
                                                    find_first=True)}
    assert first == {mine_v2d1.id, layered.release_ids[(2, 2)]}
    assert {d["visit"] for d in registry.query_data_ids("visit", datasets="calexp", collections=[PERSONAL_RUN])} == \
        {1, 2}
    # find_quanta and get_artifacts read both layers too.
    quantum = Quantum("measure", PERSONAL_RUN, None, inputs=[layered.release_ids[(1, 1)]], outputs=[layered.mine.id])
    registry.insert_quanta([quantum])
    assert [q.id for q in registry.find_quanta(input=layered.release_ids[(1, 1)])] == [quantum.id]
    assert len(registry.find_quanta(output=layered.release_ids[(1, 1)])) == 1  # the release's own quantum
    assert set(registry.get_artifacts([layered.mine.id, layered.release_ids[(1, 1)]])) == {
        layered.mine.id, layered.release_ids[(1, 1)]}


def test_reopening_without_release_uses_the_recorded_release(layered: Layered) -> None:
    url = f"sqlite:///{layered.personal}"
    with SqlRegistry.open(url) as again:
        assert again.release == Release(url=f"sqlite:///{layered.release}")
        assert {c.name for c in again.query_collections("dr1*")} == set(RELEASE_COLLECTIONS)
        with pytest.raises(ReleaseWriteError):
            again.insert_datasets("calexp", "dr1/calexp", [calexp_id(3, 1)])
    with SqlRegistry.open(url, writeable=False) as reader:
        assert reader.find_datasets("calexp", [calexp_id(1, 3)], [PERSONAL_RUN]) == [layered.mine]
        assert [r["n"] for r in reader.select_sql("SELECT count(*) AS n FROM v_dataset")] == [5]


# -- a whole session leaves the release untouched ----------------------------------------------


def test_a_whole_personal_session_leaves_the_release_file_unchanged(tmp_path: Path,
                                                                    release_file: ReleaseFile) -> None:
    release = copy_release(release_file, tmp_path)
    digest, contents = sha256(release), release_contents(release)
    assert sha256(release) == digest  # reading it as a plain registry changed nothing either
    url = f"sqlite:///{tmp_path / 'personal.sqlite3'}"
    with SqlRegistry.create(url, default_universe(), release=Release(url=f"sqlite:///{release}")) as registry, \
            SqlRegistry.create(f"sqlite:///{tmp_path / 'other.sqlite3'}", default_universe(),
                               release=Release(url=f"sqlite:///{release}")) as neighbour:
        registry.register_collection(PERSONAL_RUN, RUN)
        registry.register_collection(PERSONAL_TAGGED, TAGGED)
        registry.register_collection("u/alice/all", CHAINED)
        registry.set_chain("u/alice/all", [PERSONAL_RUN, "dr1"])
        registry.register_dataset_type(DatasetType("summary", ("instrument", "visit"), "StructuredDataDict"))
        template = standard_records()["visit"][0]
        registry.insert_data_units("visit", [{**template, "id": 7, "name": "visit7"}])
        registry.insert_data_units("instrument", standard_records()["instrument"], skip_existing=True)
        refs = registry.insert_datasets("calexp", PERSONAL_RUN, [calexp_id(v, 1) for v in (1, 2, 7)])
        registry.insert_datasets("summary", PERSONAL_RUN, [{"instrument": "Cam1", "visit": 1}])
        registry.insert_artifacts([artifact(ref.id, f"{ref.id}.json") for ref in refs])
        theirs = registry.find_datasets("calexp", [calexp_id(2, 2)], ["u/alice/all"])[0]
        assert theirs is not None and theirs.run == "dr1/calexp"
        registry.associate(PERSONAL_TAGGED, [theirs, refs[0]])
        registry.insert_quanta([Quantum("measure", PERSONAL_RUN, None, inputs=[theirs.id], outputs=[refs[0].id])])
        with registry.transaction():
            registry.import_datasets([theirs])
        for refused in (lambda: registry.insert_datasets("calexp", "dr1/calexp", [calexp_id(3, 3)]),
                        lambda: registry.remove_datasets([theirs.id]),
                        lambda: registry.remove_artifacts([theirs.id]),
                        lambda: registry.associate("dr1/best", [theirs]),
                        lambda: registry.set_chain("dr1", []),
                        lambda: registry.remove_collection("dr1/empty"),
                        lambda: registry.remove_dataset_type("deepCoadd")):
            with pytest.raises(ReleaseWriteError):
                refused()
        seventh = registry.query_datasets("calexp", ["u/alice/all"], where="instrument = 'Cam1' AND visit = 7")
        assert [r.id for r in seventh] == [refs[2].id]
        assert [r["n"] for r in registry.select_sql("SELECT count(*) AS n FROM v_dataset")] == [4 + 4]
        # Another personal registry over the same release, at the same time, sees none of it.
        neighbour.register_collection(PERSONAL_RUN, RUN)
        assert neighbour.datasets_in_collection(PERSONAL_RUN) == []
        assert neighbour.fetch_data_unit_records("visit", [{"instrument": "Cam1", "id": 7}]) == []
        # Removing what is personal works.
        registry.disassociate(PERSONAL_TAGGED, [theirs])
        registry.remove_datasets([refs[2].id])
        registry.remove_collection("u/alice/all")
    with SqlRegistry.open(url, writeable=False) as reopened:
        assert len(reopened.datasets_in_collection(PERSONAL_RUN)) == 3
    assert sha256(release) == digest
    assert wal_is_empty(release)
    assert release_contents(release) == contents
    assert sha256(release) == digest


# -- misconfiguration --------------------------------------------------------------------------


def test_a_missing_release_file_is_a_registry_error(tmp_path: Path, release_file: ReleaseFile) -> None:
    personal = tmp_path / "personal.sqlite3"
    with pytest.raises(RegistryError, match="no release registry"):
        SqlRegistry.create(f"sqlite:///{personal}", default_universe(),
                           release=Release(url=f"sqlite:///{tmp_path / 'nowhere.sqlite3'}"))
    assert not personal.exists()
    assert not (tmp_path / "nowhere.sqlite3").exists()
    # A personal registry whose recorded release has gone cannot be opened either.
    release = copy_release(release_file, tmp_path)
    SqlRegistry.create(f"sqlite:///{personal}", default_universe(), release=Release(url=f"sqlite:///{release}")).close()
    release.rename(tmp_path / "moved.sqlite3")
    with pytest.raises(RegistryError, match="no release registry"):
        SqlRegistry.open(f"sqlite:///{personal}")
    with SqlRegistry.open(f"sqlite:///{personal}", release=Release(url=f"sqlite:///{tmp_path / 'moved.sqlite3'}")) \
            as moved:
        assert moved.get_collection("dr1/calexp").kind is RUN


def test_a_personal_registry_cannot_be_a_release(tmp_path: Path, release_file: ReleaseFile) -> None:
    release = copy_release(release_file, tmp_path)
    first = tmp_path / "first.sqlite3"
    SqlRegistry.create(f"sqlite:///{first}", default_universe(), release=Release(url=f"sqlite:///{release}")).close()
    digest = sha256(first)
    with pytest.raises(RegistryError, match="itself a personal registry"):
        SqlRegistry.create(f"sqlite:///{tmp_path / 'second.sqlite3'}", default_universe(),
                           release=Release(url=f"sqlite:///{first}"))
    assert sha256(first) == digest


def test_a_release_of_another_universe_is_a_conflict(tmp_path: Path) -> None:
    release = tmp_path / "tiny.sqlite3"
    SqlRegistry.create(f"sqlite:///{release}", Universe.from_mapping(TINY_UNIVERSE)).close()
    digest = sha256(release)
    personal = tmp_path / "personal.sqlite3"
    with pytest.raises(ConflictingDefinitionError, match="another universe"):
        SqlRegistry.create(f"sqlite:///{personal}", default_universe(), release=Release(url=f"sqlite:///{release}"))
    assert sha256(release) == digest
    # Nothing was half made: the same url takes a personal registry over a matching release.
    with SqlRegistry.create(f"sqlite:///{personal}", Universe.from_mapping(TINY_UNIVERSE),
                            release=Release(url=f"sqlite:///{release}")) as made:
        assert made.universe == Universe.from_mapping(TINY_UNIVERSE)


def test_opening_a_plain_registry_with_a_release_is_refused(tmp_path: Path, release_file: ReleaseFile) -> None:
    release = copy_release(release_file, tmp_path)
    plain = tmp_path / "plain.sqlite3"
    SqlRegistry.create(f"sqlite:///{plain}", default_universe()).close()
    with pytest.raises(RegistryError, match="not a personal registry"):
        SqlRegistry.open(f"sqlite:///{plain}", release=Release(url=f"sqlite:///{release}"))
    with SqlRegistry.open(f"sqlite:///{plain}") as opened:
        assert opened.release is None and opened.query_collections() == []


@pytest.mark.parametrize("table", ["collection", "dataset_type"])
def test_a_release_whose_ids_reach_personal_id_start_is_refused(tmp_path: Path, release_file: ReleaseFile,
                                                                table: str) -> None:
    release = copy_release(release_file, tmp_path)
    row = ("'high', 'TAGGED', ''" if table == "collection" else "'high', '[]', 'StructuredData'")
    columns = "name, kind, doc" if table == "collection" else "name, units, storage_class"
    with raw(release) as connection:
        connection.execute(f"INSERT INTO {table} (id, {columns}) VALUES (?, {row})", (PERSONAL_ID_START - 1,))
        connection.commit()
    # Just below the personal range is fine.
    below = tmp_path / "below.sqlite3"
    SqlRegistry.create(f"sqlite:///{below}", default_universe(), release=Release(url=f"sqlite:///{release}")).close()
    with raw(release) as connection:
        connection.execute(f"UPDATE {table} SET id = ? WHERE name = 'high'", (PERSONAL_ID_START,))
        connection.commit()
    personal = tmp_path / "personal.sqlite3"
    with pytest.raises(RegistryError, match=f"{table} ids up to {PERSONAL_ID_START}"):
        SqlRegistry.create(f"sqlite:///{personal}", default_universe(), release=Release(url=f"sqlite:///{release}"))
    # A release that grew into the personal range after a personal registry was made is refused on open.
    with pytest.raises(RegistryError, match=f"{table} ids up to {PERSONAL_ID_START}"):
        SqlRegistry.open(f"sqlite:///{below}")


def _factory_options(tmp_path: Path, release: Any) -> dict[str, Any]:
    return {"adapter": "sql", "url": f"sqlite:///{tmp_path / 'personal.sqlite3'}", "release": release}


@pytest.mark.parametrize(("release", "message"), [
    ("sqlite:///release.sqlite3", "must be a mapping"),
    (["sqlite:///release.sqlite3"], "must be a mapping"),
    ({"url": "sqlite:///release.sqlite3", "path": "x"}, "unknown registry release options \\['path'\\]"),
    ({}, "needs the release's url"),
    ({"url": ""}, "release.url"),
    ({"url": 3}, "release.url"),
    ({"url": "RELEASE", "namespace": "dr1"}, "namespace 'dr1' names a PostgreSQL schema"),
    ({"namespace": "dr1"}, "namespace 'dr1' names a PostgreSQL schema"),
    ({"url": "sqlite://"}, "must be a SQLite file URL"),
    ({"url": "postgresql://db.example.org/butler"}, "must be a SQLite file URL"),
])
def test_bad_release_options_are_config_errors(tmp_path: Path, release_file: ReleaseFile, release: Any,
                                               message: str) -> None:
    good = f"sqlite:///{copy_release(release_file, tmp_path)}"
    if isinstance(release, dict) and release.get("url") == "RELEASE":
        release = {**release, "url": good}
    with pytest.raises(ConfigError, match=message):
        make_registry(_factory_options(tmp_path, release), universe=default_universe(), create=True, writeable=True)
    assert not (tmp_path / "personal.sqlite3").exists()
    # Opening an existing personal registry with the bad section is refused the same way.
    make_registry(_factory_options(tmp_path, {"url": good}), universe=default_universe(), create=True,
                  writeable=True).close()
    with pytest.raises(ConfigError, match=message):
        make_registry(_factory_options(tmp_path, release), universe=None, create=False, writeable=True)


def test_the_factory_builds_a_personal_registry_from_a_release_section(tmp_path: Path,
                                                                      release_file: ReleaseFile) -> None:
    release = copy_release(release_file, tmp_path)
    digest = sha256(release)
    options = _factory_options(tmp_path, {"url": f"sqlite:///{release}"})
    with make_registry(options, universe=default_universe(), create=True, writeable=True) as created:
        assert isinstance(created, SqlRegistry)
        assert created.release == Release(url=f"sqlite:///{release}")
        created.register_collection(PERSONAL_RUN, RUN)
    with make_registry(options, universe=None, create=False, writeable=True) as opened:
        assert {c.name for c in opened.query_collections()} == {*RELEASE_COLLECTIONS, PERSONAL_RUN}
        with pytest.raises(ReleaseWriteError, match="dr1/empty"):
            opened.remove_collection("dr1/empty")
    # Without the section, the personal registry still opens over the release it recorded.
    with make_registry({"adapter": "sql", "url": options["url"]}, universe=None, create=False,
                       writeable=False) as plain_options:
        assert isinstance(plain_options, SqlRegistry) and plain_options.release is not None
        assert plain_options.get_collection("dr1").children == ("dr1/calexp", "dr1/best")
    assert sha256(release) == digest
