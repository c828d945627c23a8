"""The indexes that make finds in a DESDM catalog cost a few index probes, as CREATE INDEX statements for operators.

The adapter never changes a DESDM table, its indexes included; a catalog without these answers
correctly but reads whole tables per find. What a find reads (``Datasets.search``): DESFILE rows
by attempt (``PFW_ATTEMPT_ID``), metadata rows by their DataUnit columns, provenance by file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...domain.universe import Universe
from .dataset_types import TypeRecord
from .mapping import OWN_TABLE

_CATALOG = (("DESFILE", ("PFW_ATTEMPT_ID",)), ("DESFILE", ("WGB_TASK_ID",)), ("OPM_USED", ("DESFILE_ID",)))


def index_statements(namespace: str | None, universe: Universe, types: Iterable[TypeRecord]) -> list[str]:
    """``CREATE INDEX IF NOT EXISTS`` statements for the catalog and the metadata tables of ``types``."""
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
    prefix = f"{namespace}." if namespace else ""
    return [f"CREATE INDEX IF NOT EXISTS {_name(table, columns)} ON {prefix}{table} ({', '.join(columns)})"
            for table, columns in wanted]


def _governors(universe: Universe) -> Sequence[str]:
    """DataUnits that identify others and hold few values (instrument, skymap): last in an index."""
    return [u.name for u in universe.units if not u.requires]


def _name(table: str, columns: Sequence[str]) -> str:
    return f"dbb_ix_{table}_{'_'.join(columns)}".lower()[:63]
