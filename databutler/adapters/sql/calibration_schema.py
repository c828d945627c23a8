"""The ``dataset_calib`` table of certifications, and how validity ranges are stored in it.

A validity range is two BIGINT columns, ``validity_begin`` and ``validity_end``: UTC microseconds
since 1970, half-open, with the int64 extremes standing for an unbounded end (the reference stores
TAI nanoseconds the same way on SQLite). Microseconds in UTC because databutler's times are UTC
datetimes with microsecond resolution: the stored value is exact and needs no leap-second table,
and ordering, overlap and the PostgreSQL range below work on plain integers.

On PostgreSQL the database itself refuses overlapping ranges of one (collection, DatasetType,
DataId): an exclusion constraint over ``int8range(validity_begin, validity_end)`` with the
btree_gist extension for the equality parts (the reference's design). A role that may not create
that extension (no CREATE on the database, and no administrator made it) gets the table without
the constraint and a warning; the registry's check inside the transaction, under a table lock
(see ``registry``), still refuses overlaps. SQLite has no exclusion constraints: the registry
checks inside its writing transaction (see ports/calibration_rules.py), which holds the
database's write lock.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import sqlalchemy as sa

from ...domain.values import Timespan

UNBOUNDED_BEGIN = -(2**63)
UNBOUNDED_END = 2**63 - 1
_EPOCH = datetime.datetime(1970, 1, 1)
EXCLUSION_NAME = "ex_dataset_calib_overlap"
log = logging.getLogger(__name__)


def to_bound(value: datetime.datetime | None, unbounded: int) -> int:
    """A naive UTC datetime as stored microseconds, or ``unbounded`` for None."""
    if value is None:
        return unbounded
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_bound(value: int, unbounded: int) -> datetime.datetime | None:
    """Stored microseconds back as a naive UTC datetime (None for the unbounded sentinel)."""
    if value == unbounded:
        return None
    return _EPOCH + datetime.timedelta(microseconds=value)


def to_columns(timespan: Timespan) -> tuple[int, int]:
    """``(validity_begin, validity_end)`` of ``timespan``."""
    return to_bound(timespan.begin, UNBOUNDED_BEGIN), to_bound(timespan.end, UNBOUNDED_END)


def from_columns(begin: int, end: int) -> Timespan:
    """The Timespan stored as ``(validity_begin, validity_end)``."""
    return Timespan(from_bound(begin, UNBOUNDED_BEGIN), from_bound(end, UNBOUNDED_END))


def add_exclusion(connection: sa.Connection, qualified_table: str) -> bool:
    """Make PostgreSQL refuse overlapping ranges in ``qualified_table``; False if btree_gist cannot be had."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    except sa.exc.DBAPIError as err:
        log.warning("PostgreSQL's btree_gist extension cannot be created here (%s); %s will not refuse "
                    "overlapping validity ranges by itself (databutler still checks them under a table lock). "
                    "A database owner runs CREATE EXTENSION btree_gist to have the database refuse them too.",
                    str(err.orig).strip().splitlines()[0], qualified_table)
        return False
    connection.execute(sa.text(
        f"ALTER TABLE {qualified_table} ADD CONSTRAINT {EXCLUSION_NAME} EXCLUDE USING gist "
        "(collection_id WITH =, dataset_type_id WITH =, data_id_key WITH =, "
        "int8range(validity_begin, validity_end) WITH &&)"))
    return True


def _after_create(table: sa.Table, connection: sa.Connection, **_: Any) -> None:
    if connection.dialect.name == "postgresql":
        add_exclusion(connection, connection.dialect.identifier_preparer.format_table(table))


def calibration_table(metadata: sa.MetaData, collection: sa.Table, dataset_id: sa.Column[Any] | None) -> sa.Table:
    """The ``dataset_calib`` table (``dataset_id`` is the FK target, None in a personal layer's tables)."""
    from .schema import text  # the shared string type; schema imports this module at its top

    link = (sa.ForeignKey(dataset_id, ondelete="CASCADE"),) if dataset_id is not None else ()
    table = sa.Table(
        "dataset_calib", metadata,
        sa.Column("collection_id", sa.Integer, sa.ForeignKey(collection.c.id, ondelete="CASCADE"), primary_key=True),
        sa.Column("dataset_type_id", sa.Integer, primary_key=True),
        sa.Column("data_id_key", text(), primary_key=True),
        sa.Column("validity_begin", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("validity_end", sa.BigInteger, nullable=False),
        sa.Column("dataset_id", sa.Uuid, *link, nullable=False, index=True),
        sa.CheckConstraint("validity_begin < validity_end", name="ck_dataset_calib_range"))
    sa.event.listen(table, "after_create", _after_create)
    return table
