"""The tables of a Data Backbone registry: the DESDM catalog it reads and writes, and its own ``DBB_`` side tables.

DESDM tables (``Desdm``) are described with only the columns the adapter uses, as DESDM names
them: unquoted identifiers, so the same names work on Oracle-style upper case, PostgreSQL lower
case and SQLite. The adapter never creates, alters or drops one. Metadata tables (``MISCFILE``,
``EXPOSURE``, ...) differ per site and are reflected when the registry opens.

Side tables (``SideTables``) hold what DESDM has no place for; each is named ``DBB_<NAME>`` and made
by ``DbbRegistry.create`` (an administrator's step, like the DESDM schema itself):

- ``DBB_META``: the universe and the side tables' version.
- ``DBB_<ELEMENT>``: DataUnit records (one table per element of the universe).
- ``DBB_DATASET_TYPE``: which OPS_FILETYPE rows are databutler DatasetTypes, with their DataUnits,
  StorageClass and metadata table (an integer id for queries).
- ``DBB_COLLECTION`` / ``DBB_CHAIN``: collections registered through databutler (a RUN's attempt,
  TAGGED and CHAINED ones) and the children of chains.
- ``DBB_DATASET``: the UUID of each DESFILE row databutler wrote or was given (a file production
  registered has none: its UUID is derived from DESFILE.ID, see ``ids``).
- ``DBB_TAG``: datasets tagged one by one (PROCTAG tags whole attempts).
- ``DBB_ARTIFACT``: formatter, StorageClass and component of each artifact databutler recorded.
- ``DBB_QUANTUM`` / ``DBB_QUANTUM_IO``: what a Quantum holds beyond its TASK row (its UUID, DataId,
  metadata, and the exact input/output lists, which outlive the datasets).
- ``DBB_METADATA``: the metadata table of DatasetTypes whose DataUnits no site metadata table covers.
"""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.sql.compiler import RESERVED_WORDS
from sqlalchemy.sql.elements import quoted_name

from ...domain.universe import DataUnitType, Universe
from ..sql.schema import column_type, field_columns
from ..sql.spatial_schema import spatial_tables

PREFIX = "dbb_"
SIDE_VERSION = "1"
"""Bumped whenever the side tables change."""


def upper(name: str) -> quoted_name:
    """``name`` as an unquoted identifier (case-insensitive on every database, like DESDM's Oracle names).

    An SQL reserved word (the DataUnit ``group``) cannot be unquoted: it is quoted as written.
    """
    return quoted_name(name, name.lower() in RESERVED_WORDS)


def _column(name: str, kind: Any, *args: Any, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(upper(name), kind, *args, key=name, **kwargs)


@attrs.frozen
class Desdm:
    """The DESDM tables the adapter uses (columns it reads or writes only)."""

    metadata: sa.MetaData
    desfile: sa.Table
    file_archive_info: sa.Table
    ops_archive: sa.Table
    ops_filetype: sa.Table
    ops_filetype_metadata: sa.Table
    pfw_attempt: sa.Table
    proctag: sa.Table
    task: sa.Table
    opm_used: sa.Table
    opm_was_derived_from: sa.Table


def desdm_tables(namespace: str | None) -> Desdm:
    """The DESDM tables in PostgreSQL schema ``namespace`` (or the default schema)."""
    md = sa.MetaData(schema=namespace)
    t = sa.Table
    return Desdm(
        md,
        t(upper("DESFILE"), md, _column("ID", sa.Integer, primary_key=True, autoincrement=False),
          _column("PFW_ATTEMPT_ID", sa.Integer), _column("WGB_TASK_ID", sa.Integer),
          _column("FILETYPE", sa.Text), _column("FILENAME", sa.Text), _column("COMPRESSION", sa.Text),
          _column("FILESIZE", sa.BigInteger), _column("MD5SUM", sa.Text), _column("USER_CREATED_BY", sa.Text),
          _column("MODULE_CREATED_BY", sa.Text), _column("CREATED_DATE", sa.DateTime)),
        t(upper("FILE_ARCHIVE_INFO"), md, _column("FILENAME", sa.Text), _column("ARCHIVE_NAME", sa.Text),
          _column("PATH", sa.Text), _column("COMPRESSION", sa.Text),
          _column("DESFILE_ID", sa.Integer, primary_key=True, autoincrement=False)),
        t(upper("OPS_ARCHIVE"), md, _column("NAME", sa.Text, primary_key=True), _column("ROOT", sa.Text)),
        t(upper("OPS_FILETYPE"), md, _column("FILETYPE", sa.Text, primary_key=True),
          _column("METADATA_TABLE", sa.Text), _column("DESCRIPTION", sa.Text), _column("FILETYPE_MGMT", sa.Text)),
        t(upper("OPS_FILETYPE_METADATA"), md, _column("FILETYPE", sa.Text, primary_key=True),
          _column("FILE_HEADER_NAME", sa.Text, primary_key=True), _column("STATUS", sa.Text),
          _column("FILE_HDU", sa.Text), _column("DERIVED", sa.Text)),
        t(upper("PFW_ATTEMPT"), md, _column("REQNUM", sa.Integer, primary_key=True),
          _column("UNITNAME", sa.Text, primary_key=True), _column("ATTNUM", sa.Integer, primary_key=True),
          _column("TASK_ID", sa.Integer), _column("ID", sa.Integer), _column("DATA_STATE", sa.Text),
          _column("ARCHIVE_PATH", sa.Text)),
        t(upper("PROCTAG"), md, _column("TAG", sa.Text, primary_key=True),
          _column("PFW_ATTEMPT_ID", sa.Integer, primary_key=True), _column("CREATED_BY", sa.Text)),
        t(upper("TASK"), md, _column("ID", sa.Integer, primary_key=True, autoincrement=False),
          _column("NAME", sa.Text), _column("LABEL", sa.Text), _column("START_TIME", sa.DateTime),
          _column("END_TIME", sa.DateTime), _column("STATUS", sa.Integer), _column("EXEC_HOST", sa.Text),
          _column("PARENT_TASK_ID", sa.Integer), _column("ROOT_TASK_ID", sa.Integer)),
        t(upper("OPM_USED"), md, _column("TASK_ID", sa.Integer, primary_key=True, autoincrement=False),
          _column("DESFILE_ID", sa.Integer, primary_key=True, autoincrement=False)),
        t(upper("OPM_WAS_DERIVED_FROM"), md,
          _column("CHILD_DESFILE_ID", sa.Integer, primary_key=True, autoincrement=False),
          _column("PARENT_DESFILE_ID", sa.Integer, primary_key=True, autoincrement=False)),
    )


@attrs.frozen
class SideTables:
    """The ``DBB_`` tables of one universe (see the module docstring)."""

    metadata: sa.MetaData
    elements: dict[str, sa.Table]
    meta: sa.Table
    dataset_type: sa.Table
    collection: sa.Table
    chain: sa.Table
    dataset: sa.Table
    tag: sa.Table
    artifact: sa.Table
    quantum: sa.Table
    quantum_io: sa.Table
    own_metadata: sa.Table
    skypix: dict[str, sa.Table] = attrs.field(factory=dict)
    spatial_pairs: dict[tuple[str, str], sa.Table] = attrs.field(factory=dict)


def _element_table(universe: Universe, md: sa.MetaData, name: str, tables: dict[str, sa.Table]) -> sa.Table:
    element = universe.element(name)
    keys = set(universe.key_fields(name))
    columns: list[Any] = []
    for spec in universe.record_fields(name):
        columns.extend(field_columns(spec, spec.name in keys))
    columns.extend(sa.UniqueConstraint(*fields, name=f"{PREFIX}uq_{name}_{fields[-1]}")
                   for fields in universe.unique_fields(name))
    parents = [*element.requires, *element.implies] if isinstance(element, DataUnitType) else list(element.joins)
    for parent in parents:
        target = tables[parent]
        columns.append(sa.ForeignKeyConstraint(list(universe.required(parent)),
                                               [target.c[k] for k in universe.key_fields(parent)],
                                               name=f"{PREFIX}fk_{name}_{parent}"))
    return sa.Table(f"{PREFIX}{name}", md, *columns)


def meta_table(namespace: str | None) -> sa.Table:
    """``DBB_META`` alone (to read the universe before the other side tables can be described)."""
    return _meta(sa.MetaData(schema=namespace))


def _meta(md: sa.MetaData) -> sa.Table:
    return sa.Table(f"{PREFIX}meta", md, sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))


def side_tables(universe: Universe, namespace: str | None) -> SideTables:
    """The side tables for ``universe`` in PostgreSQL schema ``namespace`` (or the default schema)."""
    md = sa.MetaData(schema=namespace)
    elements: dict[str, sa.Table] = {}
    for element in universe.elements:
        elements[element.name] = _element_table(universe, md, element.name, elements)
    uuid_type = sa.Uuid()
    skypix, pairs = spatial_tables(universe, md, prefix=PREFIX)
    return SideTables(
        md, elements,
        _meta(md),
        sa.Table(f"{PREFIX}dataset_type", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("filetype", sa.Text, nullable=False, unique=True),
                 sa.Column("units", sa.Text, nullable=False), sa.Column("storage_class", sa.Text, nullable=False),
                 sa.Column("metadata_table", sa.Text, nullable=False), sqlite_autoincrement=True),
        sa.Table(f"{PREFIX}collection", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("name", sa.Text, nullable=False, unique=True),
                 sa.Column("kind", sa.String(16), nullable=False), sa.Column("doc", sa.Text, nullable=False),
                 sa.Column("attempt_id", sa.Integer, nullable=True, unique=True), sqlite_autoincrement=True),
        sa.Table(f"{PREFIX}chain", md, sa.Column("parent", sa.Text, primary_key=True),
                 sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("child", sa.Text, nullable=False, index=True)),
        sa.Table(f"{PREFIX}dataset", md, sa.Column("desfile_id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("dataset_id", uuid_type, nullable=False, unique=True)),
        sa.Table(f"{PREFIX}tag", md, sa.Column("tag", sa.Text, primary_key=True),
                 sa.Column("desfile_id", sa.Integer, primary_key=True, autoincrement=False)),
        sa.Table(f"{PREFIX}artifact", md, sa.Column("dataset_id", uuid_type, primary_key=True),
                 sa.Column("component", sa.Text, primary_key=True), sa.Column("uri", sa.Text, nullable=False),
                 sa.Column("formatter", sa.Text, nullable=False), sa.Column("storage_class", sa.Text, nullable=False),
                 sa.Column("checksum", sa.Text), sa.Column("size", sa.BigInteger),
                 sa.Index(f"ix_{PREFIX}artifact_uri", "uri", postgresql_using="hash")),
        sa.Table(f"{PREFIX}quantum", md, sa.Column("id", uuid_type, primary_key=True),
                 sa.Column("task_id", sa.Integer, nullable=False, unique=True),
                 sa.Column("run", sa.Text, nullable=False), sa.Column("data_id", sa.Text),
                 sa.Column("status", sa.String(16), nullable=False), sa.Column("metadata", sa.Text, nullable=False)),
        sa.Table(f"{PREFIX}quantum_io", md, sa.Column("quantum_id", uuid_type, primary_key=True),
                 sa.Column("output", sa.Boolean, primary_key=True),
                 sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("dataset_id", uuid_type, nullable=False, index=True)),
        sa.Table(f"{PREFIX}metadata", md, _column("FILENAME", sa.Text, primary_key=True),
                 _column("FILETYPE", sa.Text, nullable=False), _column("PFW_ATTEMPT_ID", sa.Integer),
                 *(sa.Column(upper(u.name.upper()), column_type(u.key), key=u.name) for u in universe.units)),
        skypix, pairs,
    )
