"""Keeps the sky-pixel index and the computed overlaps of spatial elements, in the transaction that writes records.

When records of a spatial element are inserted or replaced, the pixels of the common
pixelization that cover each region (its envelope) go into the element's skypix table. The
records of the other families that share a pixel are candidates; those whose region really
overlaps (sphgeom says so, or cannot rule it out, as the reference decides) are written as
pairs. Queries then join the pair tables (see ``query.plan``): no overlap is typed in by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.region import Region
from ...domain.skypix import pixelization
from ...domain.universe import Universe
from .dialect import chunks, insert_ignoring_conflicts
from .layout import Layout
from .spatial_schema import SKYPIX_COLUMN

Key = tuple[Any, ...]


class SpatialIndex:
    """Writes the skypix and overlap rows of one universe's spatial elements (nothing if it has none)."""

    def __init__(self, universe: Universe, layout: Layout) -> None:
        self._universe = universe
        self._reads = layout.reads
        self._writes = layout.writes
        common = universe.topology.common
        self._pixelization = None if common is None else pixelization(common)
        self._elements = set(self._writes.skypix)

    def indexes(self, element: str) -> bool:
        """Whether records of ``element`` are indexed."""
        return element in self._elements

    def pixels(self, region: Region) -> list[int]:
        """The common pixelization's pixels that overlap ``region`` (its envelope, each pixel refined exactly).

        Refined, the index relates records to skypix DataUnit values exactly, and still finds every
        overlapping pair: a point both regions share lies in a pixel that overlaps both.
        """
        pixelization = self._pixelization
        assert pixelization is not None
        return [i for begin, end in pixelization.envelope(region) for i in range(begin, end)
                if pixelization.pixel(i).overlaps(region) is not False]

    def _units_key(self, element: str, record: Mapping[str, Any]) -> Key:
        """The record's key by unit (a DataUnit's own key field stands for the unit)."""
        # key_fields lists the record's key in the order of required(element), the unit named by its own key field.
        return tuple(record[f] for f in self._universe.key_fields(element))

    def write(self, connection: sa.Connection, element: str, records: Sequence[Mapping[str, Any]], *,
              replacing: bool) -> None:
        """Index ``records`` of ``element`` and pair them with overlapping records of the other families."""
        if element not in self._elements:
            return
        units = self._universe.required(element)
        keyed = {self._units_key(element, r): r.get("region") for r in records}
        if replacing:
            self.forget(connection, element, list(keyed))
        regions = {k: r for k, r in keyed.items() if r is not None}
        if not regions:
            return
        pixels = {k: self.pixels(r) for k, r in regions.items()}
        insert_ignoring_conflicts(connection, self._writes.skypix[element], [
            {**dict(zip(units, k, strict=True)), SKYPIX_COLUMN: p} for k, found in pixels.items() for p in found])
        for (first, second), table in self._writes.spatial_pairs.items():
            if element not in (first, second):
                continue
            other = second if element == first else first
            matches = self._overlapping(connection, other, regions, pixels)
            other_units = self._universe.required(other)
            rows = []
            for key, found in matches.items():
                for other_key in found:
                    row = dict(zip(other_units, other_key, strict=True))
                    row.update(zip(units, key, strict=True))
                    rows.append(row)
            insert_ignoring_conflicts(connection, table, rows)

    def _overlapping(self, connection: sa.Connection, other: str, regions: Mapping[Key, Region],
                     pixels: Mapping[Key, list[int]]) -> dict[Key, list[Key]]:
        """For each record key, the keys of ``other`` records whose regions overlap its region."""
        skypix = self._reads.skypix[other]
        other_units = self._universe.required(other)
        by_pixel: dict[int, list[Key]] = defaultdict(list)
        wanted = sorted({p for found in pixels.values() for p in found})
        columns = [skypix.c[u] for u in other_units]
        for part in chunks(wanted):
            query = sa.select(skypix.c[SKYPIX_COLUMN], *columns).where(skypix.c[SKYPIX_COLUMN].in_(part))
            for row in connection.execute(query):
                by_pixel[row[0]].append(tuple(row[1:]))
        candidates = {k: {c for p in found for c in by_pixel.get(p, ())} for k, found in pixels.items()}
        other_regions = self._regions(connection, other, {c for found in candidates.values() for c in found})
        result: dict[Key, list[Key]] = {}
        for key, found in candidates.items():
            region = regions[key]
            # As the reference: a pair is dropped only when sphgeom rules out an overlap.
            result[key] = [c for c in found if c in other_regions and region.overlaps(other_regions[c]) is not False]
        return result

    def _regions(self, connection: sa.Connection, element: str, keys: Iterable[Key]) -> dict[Key, Region]:
        """The regions of the records of ``element`` with these unit keys."""
        table = self._reads.elements[element]
        fields = self._universe.key_fields(element)
        columns = [table.c[f] for f in fields]
        found: dict[Key, Region] = {}
        for part in chunks(list(keys)):
            where = sa.tuple_(*columns).in_(part) if len(columns) > 1 else columns[0].in_([k[0] for k in part])
            for row in connection.execute(sa.select(*columns, table.c.region).where(where)):
                if row[-1] is not None:
                    found[tuple(row[:-1])] = row[-1]
        return found

    def forget(self, connection: sa.Connection, element: str, keys: Sequence[Key]) -> None:
        """Remove the index and overlap rows of the records of ``element`` with these unit keys."""
        if element not in self._elements or not keys:
            return
        units = self._universe.required(element)
        tables = [self._writes.skypix[element],
                  *(t for pair, t in self._writes.spatial_pairs.items() if element in pair)]
        for table in tables:
            columns = [table.c[u] for u in units]
            for part in chunks(list(keys)):
                connection.execute(table.delete().where(sa.tuple_(*columns).in_(part)))
