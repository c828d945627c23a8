"""Records of an export file written with an older reference universe, converted to the repository's universe.

The reference's default universe (namespace ``daf_butler``) changed layout three times in ways
its export files show:

- before version 1 a visit had ``seeing`` and no ``day_obs`` (taken here, as the reference does
  when it cannot ask the instrument for its day offset, from the TAI date the visit began);
- before version 2 a visit named its one visit system (``visit_system``) and visit_definition
  records named it too; now ``visit_system_membership`` records relate them;
- before version 6 ``group`` and ``day_obs`` were fields of exposures and visits, not DataUnits
  of their own (an exposure had ``group_name`` and ``group_id``), and had no records.

Each conversion applies only when the file says ``daf_butler`` with an older version and the
repository's universe has the newer layout (a repository created with databutler's first
default universe keeps ``group`` a plain field of its exposures).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from ...domain.universe import DataUnitType, Universe
from . import names
from .times import utc_to_tai

REFERENCE_NAMESPACE = "daf_butler"


class OldUniverse:
    """Converts the records of a file written with universe ``namespace`` ``version`` for ``universe``."""

    def __init__(self, namespace: str, version: int, universe: Universe) -> None:
        self.version = version if namespace == REFERENCE_NAMESPACE else None
        self.universe = universe
        self.groups: dict[tuple[Any, Any], None] = {}
        self.memberships: dict[tuple[Any, Any, Any], None] = {}

    def _before(self, version: int) -> bool:
        return self.version is not None and self.version < version

    def _implies(self, element: str, unit: str) -> bool:
        definition = self.universe.element(element) if element in self.universe else None
        return isinstance(definition, DataUnitType) and unit in definition.implies

    def record(self, element: str, record: dict[str, Any]) -> None:
        """Rewrite one record of ``element`` in place into the universe's layout."""
        if element == "visit":
            self._visit(record)
        elif element == "exposure" and self._before(6) and "group_name" in record:
            record["group"] = record.pop("group_name")
            record.pop("group_id", None)
            if self._implies("exposure", "group") and record["group"] is not None:
                self.groups[(record["instrument"], record["group"])] = None
        elif element == "visit_definition" and self._before(2) and "visit_system" in record:
            record.pop("visit_system")

    def _visit(self, record: dict[str, Any]) -> None:
        if self._before(1):
            fields = {f.name for f in self.universe.record_fields("visit")} if "visit" in self.universe else set()
            if "seeing" not in fields:
                record.pop("seeing", None)
            begin = record.get(names.TIMESPAN_BEGIN)
            if record.get("day_obs") is None and self._implies("visit", "day_obs") and isinstance(
                    begin, datetime.datetime):
                tai = utc_to_tai(begin if begin.tzinfo is None else
                                 begin.astimezone(datetime.UTC).replace(tzinfo=None))
                record["day_obs"] = int(tai.strftime("%Y%m%d"))
        if self._before(2) and "visit_system" in record and "visit_system_membership" in self.universe:
            system = record.pop("visit_system")
            if system is not None:
                self.memberships[(record["instrument"], record["id"], system)] = None

    def dataset_type_units(self, units: Sequence[str]) -> list[str]:
        """The units of a dataset type of the file: a visit no longer carries its visit system."""
        if self._before(2) and "visit" in units and "visit_system" in units and (
                "visit_system_membership" in self.universe):
            return [u for u in units if u != "visit_system"]
        return list(units)

    def added(self, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """The records the older layout left implicit: groups, observing days and visit-system memberships."""
        found: dict[str, list[dict[str, Any]]] = {}
        if self.groups and "group" not in records:
            found["group"] = [{"instrument": i, "name": n} for i, n in self.groups]
        if self._before(6) and "day_obs" in self.universe and "day_obs" not in records:
            wanted = {(r["instrument"], r["day_obs"]) for element in ("exposure", "visit")
                      for r in records.get(element, ()) if r.get("day_obs") is not None}
            if wanted:
                found["day_obs"] = [{"instrument": i, "id": d} for i, d in sorted(wanted)]
        if self.memberships:
            found["visit_system_membership"] = [{"instrument": i, "visit": v, "visit_system": s}
                                                for i, v, s in self.memberships]
        return found
