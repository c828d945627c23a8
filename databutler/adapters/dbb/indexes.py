"""The indexes that make finds in a DESDM catalog cost a few index probes, as CREATE INDEX statements for operators.

The adapter never changes a DESDM table, its indexes included; a catalog without these answers
correctly but reads whole tables per find. What a find reads (``Datasets.search``): DESFILE rows
by attempt (``PFW_ATTEMPT_ID``), metadata rows by their DataUnit columns, provenance by file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from ...domain.universe import Universe
from .dataset_types import TypeRecord
from .mapping import OWN_TABLE

_CATALOG = (("DESFILE", ("PFW_ATTEMPT_ID",)), ("DESFILE", ("WGB_TASK_ID",)), ("OPM_USED", ("DESFILE_ID",)))


def wanted_indexes(universe: Universe, types: Iterable[TypeRecord]) -> list[tuple[str, tuple[str, ...]]]:
    """(table, columns) of every index finds use: the catalog's and those of the metadata tables of ``types``."""
    wanted: dict[tuple[str, tuple[str, ...]], None] = dict.fromkeys(_CATALOG)
    for record in types:
        if record.table.name == OWN_TABLE:
            continue  # the adapter's own table is indexed by the adapter
        # Later DataUnits of the universe first (an exposure before its detector: "exposure = X" uses
        # the index too), governors (instrument) last.
        order = {u.name: i for i, u in enumerate(universe.units)}
        units = sorted(record.definition.units, key=lambda u: (u in _governors(universe), -order[u]))
        columns = tuple(str(record.table.columns[u].name).upper() for u in units)
        if columns:
            wanted[(record.table.name, columns)] = None
    return list(wanted)


def index_statements(namespace: str | None, indexes: Iterable[tuple[str, tuple[str, ...]]]) -> list[str]:
    """``CREATE INDEX IF NOT EXISTS`` statements for ``indexes`` (table, columns)."""
    prefix = f"{namespace}." if namespace else ""
    return [f"CREATE INDEX IF NOT EXISTS {_name(table, columns)} ON {prefix}{table} ({', '.join(columns)})"
            for table, columns in indexes]


def missing_indexes(connection: sa.Connection, namespace: str | None,
                    indexes: Iterable[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """Those of ``indexes`` no index of the database starts with (any name, any further columns)."""
    inspector = sa.inspect(connection)
    present = {t.upper(): t for t in inspector.get_table_names(schema=namespace)}
    missing = []
    for table, columns in indexes:
        name = present.get(table.upper())
        if name is None:
            continue
        with warnings.catch_warnings():  # DESDM's expression index (COALESCE(COMPRESSION, '')) is not reflected
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            indexes_there = inspector.get_indexes(name, schema=namespace)
        found = [[str(c).upper() for c in index["column_names"] if c is not None] for index in indexes_there]
        found += [[str(c).upper() for c in inspector.get_pk_constraint(name, schema=namespace)["constrained_columns"]]]
        if not any(existing[:len(columns)] == list(columns) for existing in found):
            missing.append((table, columns))
    return missing


def _governors(universe: Universe) -> Sequence[str]:
    """DataUnits that identify others and hold few values (instrument, skymap): last in an index."""
    return [u.name for u in universe.units if not u.requires]


def _name(table: str, columns: Sequence[str]) -> str:
    return f"dbb_ix_{table}_{'_'.join(columns)}".lower()[:63]
