"""RegistryBase's DataUnit storage hooks and ``transaction`` for a registry on a ``Session`` and a ``DataUnitManager``.

The SQL registry and the Data Backbone registry keep DataUnit records the same way (tables generated
from the universe, keys remembered once read); this is that part of both, written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ...domain.records import Implied, Key
from .data_units import DataUnitManager
from .errors import translating
from .session import Session
from .statistics import PlannerStatistics


class DataUnitHooks:
    """``transaction`` and the lookup, fetch, insert and update hooks of DataUnit records."""

    _session: Session
    _data_units: DataUnitManager
    _statistics: PlannerStatistics | None = None
    """Counts the rows inserted, to analyse a table that grew (a join through an unanalysed overlap table at
    2 x 10^5 rows read every overlap of an instrument: 1.4 ms instead of 0.34)."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes so that they all happen or none do; transactions nest (savepoints)."""
        return self._session.transaction()

    def _lookup_data_units(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied]:
        """The implied values of the records of ``unit`` with these keys (remembered keys need no read)."""
        self._session.check_open()
        hit = self._data_units.cached(unit, keys)
        return hit if hit is not None else self._read_data_units(unit, keys)

    @translating("look up DataUnit records")
    def _read_data_units(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied]:
        with self._session.reading() as connection:
            return self._data_units.lookup(connection, unit, keys)

    @translating("fetch DataUnit records")
    def _fetch_data_unit_records(self, element: str, keys: Sequence[Key] | None) -> list[dict[str, Any]]:
        """The records of ``element`` with these keys, in that order (all, by key, if None)."""
        with self._session.reading() as connection:
            return self._data_units.fetch(connection, element, keys)

    @translating("insert DataUnit records")
    def _insert_data_units(self, element: str, records: Sequence[dict[str, Any]], *,
                           ignore_conflicts: bool = False) -> None:
        """Insert validated new records of ``element`` (and their regions: not atomic, several statements)."""
        with self._session.writing(f"insert {element} records") as connection:
            self._data_units.insert(connection, element, records, ignore_conflicts=ignore_conflicts)
            if self._statistics is not None:
                self._statistics.inserted(connection, self._data_units.written_table(element), len(records))

    @translating("update DataUnit records")
    def _update_data_units(self, element: str, records: Mapping[Key, dict[str, Any]]) -> None:
        """Replace the records of ``element`` with these keys."""
        with self._session.writing(f"update {element} records") as connection:
            self._data_units.update(connection, element, records)
