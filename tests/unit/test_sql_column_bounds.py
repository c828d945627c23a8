"""Every bounded string column of the SQL registry is guarded by the domain, on SQLite and PostgreSQL alike.

SQLite ignores a column's length; PostgreSQL refuses a longer value. A bound the domain does not
check therefore works on a laptop and fails in production (version 1 had a 128-character
``checksum`` and the default checksum is 136 characters). The bounded columns are read from the
table metadata, so a new bounded column fails ``test_every_bounded_column_is_guarded`` until it is
either made Text or given a domain check and a probe here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler import Butler, DatasetType
from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.release import LAYERED_KEY
from databutler.adapters.sql.schema import build_schema
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.collection import COLLECTION_NAME_MAX_LENGTH
from databutler.domain.dataset import StoredArtifact
from databutler.domain.dataset_type import DATASET_TYPE_NAME_MAX_LENGTH
from databutler.domain.errors import CollectionError, DataIdError, DatasetTypeError
from databutler.domain.quantum import Quantum, QuantumStatus
from databutler.domain.universe import Universe
from databutler.domain.values import FieldType
from databutler.testing.data import standard_records
from databutler.testing.postgres import PostgresServer, registry_section

ENUM_COLUMNS: dict[tuple[str, str], Callable[[], set[str]]] = {
    ("collection", "kind"): lambda: {kind.value for kind in CollectionKind},
    ("quantum", "status"): lambda: {status.value for status in QuantumStatus},
    ("meta", "key"): lambda: {"schema_version", "universe", LAYERED_KEY},
}
"""Bounded columns that only ever hold values the code itself chooses."""

NAME_COLUMNS = {("dataset_type", "name"): DATASET_TYPE_NAME_MAX_LENGTH,
                ("collection", "name"): COLLECTION_NAME_MAX_LENGTH}
"""Bounded columns of user-chosen names: the domain refuses a longer one (probed below)."""


def bounded_columns(universe: Universe) -> dict[tuple[str, str], int]:
    """(table, column) -> length of every length-limited string column of a registry for ``universe``."""
    schema = build_schema(universe)
    found = {}
    for table in schema.metadata.sorted_tables:
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if length is not None:
                found[(table.name, column.name)] = length
    return found


def universe_bounds(universe: Universe) -> dict[tuple[str, str], int]:
    """(table, column) -> the length the universe gives every string field, key and DataUnit column of ``dataset``."""
    bounds = {}
    for element in universe.elements:
        for spec in universe.record_fields(element.name):
            if spec.type is FieldType.STRING and spec.length is not None:
                bounds[(element.name, spec.name)] = spec.length
    for unit in universe.units:
        if unit.key.type is FieldType.STRING and unit.key.length is not None:
            bounds[("dataset", unit.name)] = unit.key.length
    return bounds


def spatial_bounds(universe: Universe) -> dict[tuple[str, str], int]:
    """(table, column) -> length of the spatial index and overlap tables' key columns: they copy the keys of
    spatial records, which the key checks bound."""
    bounds = {}
    schema = build_schema(universe)
    for table in (*schema.skypix.values(), *schema.spatial_pairs.values()):
        for column in table.columns:
            if column.name in universe and not universe.is_skypix(column.name):
                key = universe.unit(column.name).key
                if key.type is FieldType.STRING and key.length is not None:
                    bounds[(table.name, column.name)] = key.length
    return bounds


def test_every_bounded_column_is_guarded() -> None:
    universe = default_universe()
    guarded = {**universe_bounds(universe), **spatial_bounds(universe), **NAME_COLUMNS}
    for (table, column), length in bounded_columns(universe).items():
        if (table, column) in ENUM_COLUMNS:
            values = ENUM_COLUMNS[(table, column)]()
            assert max(map(len, values)) <= length, (table, column)
            continue
        assert (table, column) in guarded, (
            f"{table}.{column} is limited to {length} characters, but no domain check guards it: make it Text, "
            "or check the bound in the domain and probe it in this module")
        assert guarded[(table, column)] == length, (table, column)


# -- probes through the public API, on both backends ----------------------------------------------

@pytest.fixture
def butler_config(sql_database: tuple[str, str | None], request: pytest.FixtureRequest,
                  monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """butler.yaml sections for a registry in ``sql_database``: the defaults on SQLite, a schema on PostgreSQL.

    The password stays in the environment, as butler.yaml requires.
    """
    _, namespace = sql_database
    if namespace is None:
        return {}
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return {"registry": registry_section(server, namespace, monkeypatch)}


@pytest.fixture
def registry(sql_database: tuple[str, str | None]) -> Iterator[SqlRegistry]:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as made:
        yield made


def row_counts(sql_database: tuple[str, str | None]) -> dict[str, int]:
    """The number of rows of every table, read past the registry (a backdoor)."""
    url, namespace = sql_database
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names(schema=namespace)
            metadata = sa.MetaData(schema=namespace)
            return {name: connection.execute(sa.select(sa.func.count()).select_from(
                sa.Table(name, metadata))).scalar_one() for name in names}
    finally:
        engine.dispose()


def maxed_records(universe: Universe, extra: int = 0, only: tuple[str, str] | None = None
                  ) -> dict[str, dict[str, Any]]:
    """One standard record per element with every bounded string field at its limit (``only`` one over by ``extra``).

    Every value of a field of length n is ``"x" * n``, so the keys of parents and implied units
    still match their own records.
    """
    maxed = {}
    standard = standard_records()
    for element in (e.name for e in universe.elements if not universe.is_skypix(e.name)):  # htm7: no records
        # An element the standard data fills in from another (band) gets a record of its own.
        record = copy.deepcopy(standard[element][0]) if element in standard else {}
        for spec in universe.record_fields(element):
            if spec.type is FieldType.STRING and spec.length is not None:
                over = extra if only == (element, spec.name) else 0
                record[spec.name] = "x" * (spec.length + over)
            elif spec.type is FieldType.INT and spec.name in universe.key_fields(element) and spec.name not in record:
                record[spec.name] = 1  # an element without standard records (group, visit_system...): key 1
        maxed[element] = record
    return maxed


def test_values_at_every_limit_are_stored_and_read_back(registry: SqlRegistry) -> None:
    universe = registry.universe
    for element, record in maxed_records(universe).items():
        registry.insert_data_units(element, [record])
    for element, record in maxed_records(universe).items():
        keys = universe.key_fields(element)
        stored = [r for r in registry.fetch_data_unit_records(element)
                  if all(r[k] == record[k] for k in keys)]
        assert len(stored) == 1, element
        for name, value in record.items():
            if isinstance(value, str):
                assert stored[0][name] == value, (element, name)
    name = "d" * DATASET_TYPE_NAME_MAX_LENGTH
    run = "r" * COLLECTION_NAME_MAX_LENGTH
    assert registry.register_dataset_type(DatasetType(name, ("instrument", "visit", "detector"), "StructuredData"))
    registry.register_collection(run, CollectionKind.RUN)
    tagged, chained = "t" * COLLECTION_NAME_MAX_LENGTH, "c" * COLLECTION_NAME_MAX_LENGTH
    registry.register_collection(tagged, CollectionKind.TAGGED)
    registry.register_collection(chained, CollectionKind.CHAINED)
    registry.set_chain(chained, [run, tagged])
    data_id = {"instrument": "x" * 32, "visit": 1, "detector": 1}
    (ref,) = registry.insert_datasets(name, run, [data_id])
    registry.associate(tagged, [ref])
    # Unbounded columns take far more than any old bound.
    long_text = "y" * 5000
    registry.insert_artifacts([StoredArtifact(ref.id, long_text, long_text, long_text, "blake2b:" + "0" * 128,
                                              10, long_text)])
    quantum = Quantum(long_text, long_text, None, outputs=[ref.id], host=long_text)
    registry.insert_quanta([quantum])

    assert registry.get_dataset_type(name).name == name
    assert registry.get_collection(chained).children == (run, tagged)
    assert registry.find_datasets(name, [data_id], [chained]) == [ref]
    (artifact,) = registry.get_artifacts([ref.id])[ref.id]
    assert (artifact.uri, artifact.formatter, artifact.component, len(artifact.checksum or "")) == (
        long_text, long_text, long_text, 136)
    assert registry.get_quanta([quantum.id]) == [quantum]


@pytest.mark.parametrize("element_field", sorted({(e, f) for (e, f) in universe_bounds(default_universe())
                                                  if e != "dataset"}))
def test_a_data_unit_value_one_over_its_limit_is_refused_and_nothing_written(
        registry: SqlRegistry, sql_database: tuple[str, str | None], element_field: tuple[str, str]) -> None:
    universe = registry.universe
    element, _ = element_field
    for name, record in maxed_records(universe).items():
        if name == element:
            break
        registry.insert_data_units(name, [record])
    before = row_counts(sql_database)
    over = maxed_records(universe, 1, element_field)[element]
    with pytest.raises(DataIdError, match="longer than"):
        registry.insert_data_units(element, [over])
    assert row_counts(sql_database) == before


def test_a_data_id_value_one_over_its_limit_is_refused_and_nothing_written(
        registry: SqlRegistry, sql_database: tuple[str, str | None]) -> None:
    for element, record in maxed_records(registry.universe).items():
        registry.insert_data_units(element, [record])
    registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData"))
    registry.register_collection("run", CollectionKind.RUN)
    before = row_counts(sql_database)
    with pytest.raises(DataIdError, match="longer than"):
        registry.insert_datasets("calexp", "run", [{"instrument": "x" * 33, "visit": 1, "detector": 1}])
    assert row_counts(sql_database) == before


@pytest.mark.parametrize("kind", list(CollectionKind))
def test_a_collection_name_one_over_its_limit_is_refused_and_nothing_written(
        registry: SqlRegistry, sql_database: tuple[str, str | None], kind: CollectionKind) -> None:
    before = row_counts(sql_database)
    with pytest.raises(CollectionError, match=f"at most {COLLECTION_NAME_MAX_LENGTH}"):
        registry.register_collection("n" * (COLLECTION_NAME_MAX_LENGTH + 1), kind)
    assert row_counts(sql_database) == before


def test_a_dataset_type_name_one_over_its_limit_is_refused_and_nothing_written(
        registry: SqlRegistry, sql_database: tuple[str, str | None]) -> None:
    before = row_counts(sql_database)
    with pytest.raises(DatasetTypeError, match=f"at most {DATASET_TYPE_NAME_MAX_LENGTH}"):
        registry.register_dataset_type(DatasetType("d" * (DATASET_TYPE_NAME_MAX_LENGTH + 1), ("instrument",),
                                                   "StructuredData"))
    assert row_counts(sql_database) == before


# -- a Butler with the default (posix) datastore ----------------------------------------------------

def test_a_butler_with_default_options_puts_and_gets_at_every_limit(tmp_path: Path,
                                                                     butler_config: dict[str, Any]) -> None:
    name, run = "d" * DATASET_TYPE_NAME_MAX_LENGTH, "r" * COLLECTION_NAME_MAX_LENGTH
    root = tmp_path / "repo"
    with Butler.create(root, config=butler_config) as butler:
        for element, record in maxed_records(butler.registry.universe).items():
            butler.registry.insert_data_units(element, [record])
        butler.registry.register_dataset_type(DatasetType(name, ("instrument", "visit", "detector"),
                                                          "StructuredData"))
    data_id = {"instrument": "x" * 32, "visit": 1, "detector": 1}
    with Butler(root, run=run) as butler:
        ref = butler.put({"answer": 42}, name, data_id)
    with Butler(root, collections=[run]) as butler:
        assert butler.get(name, data_id) == {"answer": 42}
        (artifact,) = butler.registry.get_artifacts([ref.id])[ref.id]
        assert artifact.checksum is not None and len(artifact.checksum) == 136


def test_a_butler_refuses_names_one_over_the_limit_and_writes_nothing(
        tmp_path: Path, sql_database: tuple[str, str | None], butler_config: dict[str, Any]) -> None:
    root = tmp_path / "repo"
    Butler.create(root, config=butler_config).close()
    before = row_counts(sql_database)
    files_before = sorted(p for p in root.rglob("*") if p.is_file() and "registry" not in p.name)
    with pytest.raises(CollectionError):
        Butler(root, run="r" * (COLLECTION_NAME_MAX_LENGTH + 1))
    with Butler(root) as butler, pytest.raises(DatasetTypeError):
        butler.registry.register_dataset_type(DatasetType("d" * (DATASET_TYPE_NAME_MAX_LENGTH + 1),
                                                          ("instrument",), "StructuredData"))
    assert row_counts(sql_database) == before
    assert sorted(p for p in root.rglob("*") if p.is_file() and "registry" not in p.name) == files_before

