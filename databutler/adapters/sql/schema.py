"""The registry's tables, generated from a Universe with SQLAlchemy Core (portable SQL only)."""

from __future__ import annotations

import functools
from typing import Any

import attrs
import sqlalchemy as sa

from ...domain.collection import COLLECTION_NAME_MAX_LENGTH
from ...domain.dataset_type import DATASET_TYPE_NAME_MAX_LENGTH
from ...domain.errors import UniverseError
from ...domain.records import to_naive_utc
from ...domain.universe import DataUnitType, FieldSpec, Universe
from ...domain.values import FieldType
from .calibration_schema import calibration_table
from .region_column import RegionColumn
from .spatial_schema import spatial_tables

SCHEMA_VERSION = "8"
"""Bumped whenever the layout of the fixed tables changes; each bump has a migration (see ``migrations``).

Version 2 made every string column the domain does not bound unbounded text (version 1 had a
128-character checksum, which refused the default ``blake2b:`` checksum on PostgreSQL). Version 3
indexes ``dataset_artifact.uri``: a removal asks which other datasets record the same file. Version 4
adds CALIBRATION collections: ``dataset_type.is_calibration`` and the ``dataset_calib`` certifications.
Version 5 stores ``region`` fields as the reference's encoded region bytes (binary columns) and,
for universes with a spatial ``topology``, adds the skypix index and computed-overlap tables.
Version 6 adds the ``meta`` counter ``chain_version``, which every change of a chain increments, so
a process may keep resolved chains while the counter stays the same.
"""


def is_older_version(version: str | None) -> bool:
    """Whether ``version`` is a schema version before this databutler's (one its migrations upgrade)."""
    return version is not None and version.isdigit() and 1 <= int(version) < int(SCHEMA_VERSION)


DATASET_FIXED_COLUMNS = ("id", "dataset_type_id", "run_id", "data_id_key")
FIXED_TABLES = ("meta", "dataset_type", "collection", "collection_chain", "chain_search", "run", "dataset",
                "dataset_tag", "dataset_calib", "dataset_artifact", "quantum", "quantum_input", "quantum_output")
VERSION_TABLE = "alembic_version_databutler"
"""Alembic's record of the schema revision (see ``migrations``); named so as not to meet another
application's ``alembic_version`` in a shared PostgreSQL schema."""

_SCALAR_TYPES: dict[FieldType, sa.types.TypeEngine[Any]] = {
    FieldType.INT: sa.BigInteger(),
    FieldType.FLOAT: sa.Float(precision=53),
    FieldType.BOOL: sa.Boolean(),
    FieldType.DATETIME: sa.DateTime(),
    FieldType.REGION: RegionColumn(),
}


def text(length: int | None = None) -> sa.types.TypeEngine[Any]:
    """A string type that sorts by code point everywhere (PostgreSQL's default follows the server locale)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def column_type(spec: FieldSpec) -> sa.types.TypeEngine[Any]:
    """The SQL type of one scalar field (a timespan is two DateTime columns, see field_columns)."""
    if spec.type is FieldType.STRING:
        return text(spec.length)
    return _SCALAR_TYPES[spec.type]


def field_column_names(spec: FieldSpec) -> tuple[str, ...]:
    """The column names that store field ``spec`` (``<name>_begin``/``<name>_end`` for a timespan)."""
    if spec.type is FieldType.TIMESPAN:
        return (f"{spec.name}_begin", f"{spec.name}_end")
    return (spec.name,)


def field_columns(spec: FieldSpec, primary_key: bool) -> list[sa.Column[Any]]:
    """The columns that store field ``spec``."""
    if spec.type is FieldType.TIMESPAN:
        return [sa.Column(name, sa.DateTime(), nullable=True) for name in field_column_names(spec)]
    return [sa.Column(spec.name, column_type(spec), primary_key=primary_key,
                      nullable=spec.nullable and not primary_key, comment=spec.doc or None)]


@attrs.frozen
class Schema:
    """All registry tables for one universe, bound to one SQLAlchemy MetaData."""

    metadata: sa.MetaData
    elements: dict[str, sa.Table]
    meta: sa.Table
    dataset_type: sa.Table
    collection: sa.Table
    collection_chain: sa.Table
    chain_search: sa.Table
    run: sa.Table
    dataset: sa.Table
    dataset_tag: sa.Table
    dataset_calib: sa.Table
    dataset_artifact: sa.Table
    quantum: sa.Table
    quantum_input: sa.Table
    quantum_output: sa.Table
    skypix: dict[str, sa.Table] = attrs.field(factory=dict)
    """The sky-pixel index table of each spatial element (see ``spatial_schema``)."""
    spatial_pairs: dict[tuple[str, str], sa.Table] = attrs.field(factory=dict)
    """The computed-overlap table of each pair of elements of two spatial families."""


def _foreign_key(universe: Universe, unit: str, target: sa.Table, name: str) -> sa.ForeignKeyConstraint:
    """FK from columns named by ``unit``'s required units to ``unit``'s table."""
    return sa.ForeignKeyConstraint(list(universe.required(unit)),
                                   [target.c[k] for k in universe.key_fields(unit)], name=name)


def _element_table(universe: Universe, metadata: sa.MetaData, name: str,
                   tables: dict[str, sa.Table], links: bool) -> sa.Table:
    element = universe.element(name)
    keys = set(universe.key_fields(name))
    columns: list[sa.Column[Any]] = []
    for spec in universe.record_fields(name):
        columns.extend(field_columns(spec, spec.name in keys))
    constraints: list[sa.Constraint] = [sa.UniqueConstraint(*fields, name=f"uq_{name}_{fields[-1]}")
                                         for fields in universe.unique_fields(name)]
    parents = [*element.requires, *element.implies] if isinstance(element, DataUnitType) else list(element.joins)
    for parent in parents if links else ():
        constraints.append(_foreign_key(universe, parent, tables[parent], f"fk_{name}_{parent}"))
    return sa.Table(name, metadata, *columns, *constraints, comment=element.doc or None)


@functools.lru_cache(maxsize=16)
def build_schema(universe: Universe, namespace: str | None = None, *, personal: bool = False) -> Schema:
    """Describe every table of a registry holding ``universe`` (in PostgreSQL schema ``namespace``).

    ``personal`` describes the tables of a personal registry layered over a release (see
    ``layers``): their rows may name release rows, so the foreign keys that could cross into the
    release (DataUnit parents, dataset types, tagged datasets, chain children) are left out and
    checked by the registry instead. Table descriptions are immutable and independent of any
    connection, so one is shared by every registry with the same arguments.

    Strings are unbounded Text unless the domain bounds them (dataset type and collection names,
    DataUnit string fields with a universe length) or the code alone chooses them (collection
    kind, quantum status, meta keys): SQLite ignores a length that PostgreSQL enforces, so a
    bound the domain does not check would only fail in production.
    """
    links = not personal
    metadata = sa.MetaData(schema=namespace)
    clashes = {e.name for e in universe.elements} & {*FIXED_TABLES, VERSION_TABLE}
    if clashes:
        raise UniverseError(f"universe elements {sorted(clashes)} clash with registry table names; rename them")
    unit_clashes = {u.name for u in universe.units} & set(DATASET_FIXED_COLUMNS)
    if unit_clashes:
        raise UniverseError(f"DataUnits {sorted(unit_clashes)} clash with dataset columns; rename them")
    elements: dict[str, sa.Table] = {}
    for element in universe.elements:
        elements[element.name] = _element_table(universe, metadata, element.name, elements, links)
    skypix, pairs = spatial_tables(universe, metadata)
    clashes = ({t.name for t in (*skypix.values(), *pairs.values())}
               & ({e.name for e in universe.elements} | {*FIXED_TABLES, VERSION_TABLE}))
    if clashes:
        raise UniverseError(f"universe elements {sorted(clashes)} clash with the spatial index tables; rename them")

    meta = _meta(metadata)
    dataset_type = sa.Table("dataset_type", metadata,
                            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                            sa.Column("name", text(DATASET_TYPE_NAME_MAX_LENGTH), nullable=False, unique=True),
                            sa.Column("units", sa.Text, nullable=False),
                            sa.Column("storage_class", sa.Text, nullable=False),
                            sa.Column("is_calibration", sa.Boolean, nullable=False, server_default=sa.false()),
                            sqlite_autoincrement=True)  # ids are cached: never reuse one
    collection = sa.Table("collection", metadata,
                          sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                          sa.Column("name", text(COLLECTION_NAME_MAX_LENGTH), nullable=False, unique=True),
                          sa.Column("kind", sa.String(16), nullable=False),
                          sa.Column("doc", sa.Text, nullable=False, default=""),
                          sqlite_autoincrement=True)
    collection_chain = sa.Table(
        "collection_chain", metadata,
        sa.Column("parent", sa.Integer, sa.ForeignKey(collection.c.id, ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("child", sa.Integer, *_link(links, collection.c.id), nullable=False, index=True))
    chain_search = sa.Table(  # kept by the registry with collection_chain (see collections.CollectionManager)
        "chain_search", metadata,
        sa.Column("chain_id", sa.Integer, sa.ForeignKey(collection.c.id, ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.Integer, *_link(links, collection.c.id), primary_key=True, autoincrement=False),
        sa.Column("position", sa.Integer, nullable=False),
        comment="every RUN, TAGGED and CALIBRATION collection a chain's search reaches, at its position in it")
    run = sa.Table("run", metadata,
                   sa.Column("collection_id", sa.Integer, sa.ForeignKey(collection.c.id, ondelete="CASCADE"),
                             primary_key=True, autoincrement=False))
    unit_columns = [sa.Column(u.name, column_type(u.key), nullable=True) for u in universe.units]
    dataset = sa.Table(
        "dataset", metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("dataset_type_id", sa.Integer, *_link(links, dataset_type.c.id), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey(run.c.collection_id), nullable=False),
        sa.Column("data_id_key", text(), nullable=False),
        *unit_columns,
        sa.UniqueConstraint("dataset_type_id", "run_id", "data_id_key", name="uq_dataset_type_run_data_id"),
        sa.Index("ix_dataset_find", "dataset_type_id", "data_id_key"),
        sa.Index("ix_dataset_run", "run_id"))
    dataset_tag = sa.Table(
        "dataset_tag", metadata,
        sa.Column("collection_id", sa.Integer, sa.ForeignKey(collection.c.id, ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("dataset_type_id", sa.Integer, primary_key=True),
        sa.Column("data_id_key", text(), primary_key=True),
        sa.Column("dataset_id", sa.Uuid, *_link(links, dataset.c.id, ondelete="CASCADE"), nullable=False,
                  index=True))
    dataset_calib = calibration_table(metadata, collection, dataset.c.id if links else None)
    dataset_artifact = sa.Table(
        "dataset_artifact", metadata,
        sa.Column("dataset_id", sa.Uuid, sa.ForeignKey(dataset.c.id, ondelete="CASCADE"), primary_key=True),
        sa.Column("component", sa.Text, primary_key=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("formatter", sa.Text, nullable=False),
        sa.Column("storage_class", sa.Text, nullable=False),
        sa.Column("checksum", sa.Text, nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        # Removal looks up who else records a file; a hash index has no key-length limit on PostgreSQL.
        sa.Index("ix_dataset_artifact_uri", "uri", postgresql_using="hash"))
    quantum = sa.Table(
        "quantum", metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("task", sa.Text, nullable=False, index=True),
        sa.Column("run", sa.Text, nullable=False, index=True),
        sa.Column("data_id", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started", sa.DateTime, nullable=True),
        sa.Column("ended", sa.DateTime, nullable=True),
        sa.Column("host", sa.Text, nullable=True),
        sa.Column("metadata", sa.Text, nullable=False))

    def quantum_io(name: str) -> sa.Table:
        # Deliberately no FK to dataset: provenance outlives the datasets it names.
        return sa.Table(
            name, metadata,
            sa.Column("quantum_id", sa.Uuid, sa.ForeignKey(quantum.c.id, ondelete="CASCADE"), primary_key=True),
            sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("dataset_id", sa.Uuid, nullable=False, index=True))

    return Schema(metadata, elements, meta, dataset_type, collection, collection_chain, chain_search, run,
                  dataset, dataset_tag, dataset_calib, dataset_artifact, quantum, quantum_io("quantum_input"),
                  quantum_io("quantum_output"), skypix, pairs)


def _meta(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("meta", metadata, sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))


def meta_table(namespace: str | None) -> sa.Table:
    """The ``meta`` table alone (schema version, stored universe), to read before the full schema can be built."""
    return _meta(sa.MetaData(schema=namespace))


def _link(links: bool, target: sa.Column[Any], **kwargs: Any) -> tuple[sa.ForeignKey, ...]:
    """A foreign key to ``target``, or none in the personal tables of a layered registry."""
    return (sa.ForeignKey(target, **kwargs),) if links else ()


to_db_datetime = to_naive_utc
"""Datetimes are stored naive, in UTC (the domain's rule): an aware value is converted, a naive one kept."""
