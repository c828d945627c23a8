"""The universe's sky pixelizations (``skypix``) and spatial and temporal families (``topology``).

As in the reference's universe: ``skypix`` names the pixelization systems (``htm`` up to level
24, ``healpix`` up to 17) and the ``common`` one (``htm7``) that indexes every spatial element;
``topology.spatial`` groups the elements with regions into families, most precise first
(``observation_regions: [visit_detector_region, visit]``). Two families in one query are related
through the common pixelization and refined exactly with the regions. A universe without these
sections has no spatial relations (the universes stored by older repositories).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import UniverseError

SKYPIX_CLASSES = {"htm": "lsst.sphgeom.HtmPixelization", "healpix": "lsst.sphgeom.HealpixPixelization",
                  "q3c": "lsst.sphgeom.Q3cPixelization", "mq3c": "lsst.sphgeom.Mq3cPixelization"}
"""The pixelization systems databutler knows, by name, with the sphgeom class the reference names."""

_SKYPIX_NAME = re.compile(r"([a-z][a-z0-9]*?)(\d+)")


@attrs.frozen
class SkyPixSystem:
    """One pixelization system (``htm``) and the deepest level the universe allows."""

    name: str
    max_level: int


@attrs.frozen
class SkyPixUnit:
    """One pixelization at one level (``htm7``): a DataUnit with no records, whose values are pixel indices."""

    system: str
    level: int

    @property
    def name(self) -> str:
        """``htm7``."""
        return f"{self.system}{self.level}"


@attrs.frozen
class Topology:
    """The universe's skypix systems, common pixelization and spatial/temporal families."""

    systems: tuple[SkyPixSystem, ...] = ()
    common: SkyPixUnit | None = None
    spatial: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(family, its elements most precise first)."""
    temporal: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def has_spatial(self) -> bool:
        """Whether spatial elements are indexed and related (a common pixelization and at least one family)."""
        return self.common is not None and bool(self.spatial)

    def skypix_units(self) -> tuple[SkyPixUnit, ...]:
        """The skypix DataUnits of the universe: the common pixelization (datasets such as reference catalogs
        are labelled by it, and every spatial element is indexed in it)."""
        return () if self.common is None else (self.common,)

    def spatial_elements(self) -> tuple[str, ...]:
        """Every element of a spatial family."""
        return tuple(e for _, members in self.spatial for e in members)

    def family_of(self, element: str) -> str | None:
        """The spatial family of ``element``, or None."""
        for family, members in self.spatial:
            if element in members:
                return family
        return None

    def skypix(self, name: str) -> SkyPixUnit | None:
        """The skypix unit called ``name`` (``htm7``, ``healpix10``), or None if it is not one of this universe's."""
        match = _SKYPIX_NAME.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            return None
        system, level = match.group(1), int(match.group(2))
        for known in self.systems:
            if known.name == system and 0 <= level <= known.max_level:
                return SkyPixUnit(system, level)
        return None

    @classmethod
    def from_mapping(cls, skypix: Any, topology: Any) -> Topology:
        """Read the ``skypix`` and ``topology`` sections (either may be None)."""
        systems: list[SkyPixSystem] = []
        common: SkyPixUnit | None = None
        if skypix is not None:
            if not isinstance(skypix, Mapping):
                raise UniverseError("universe 'skypix' must be a mapping of systems and 'common'")
            for name, data in skypix.items():
                if name == "common":
                    continue
                if name not in SKYPIX_CLASSES:
                    raise UniverseError(f"universe skypix system {name!r} is not one of {sorted(SKYPIX_CLASSES)}")
                if not isinstance(data, Mapping) or not isinstance(data.get("max_level"), int):
                    raise UniverseError(f"universe skypix system {name!r} needs an integer 'max_level'")
                unknown = set(data) - {"class", "max_level"}
                if unknown:
                    raise UniverseError(f"universe skypix system {name!r}: unknown attributes {sorted(unknown)}")
                if data.get("class", SKYPIX_CLASSES[name]) != SKYPIX_CLASSES[name]:
                    raise UniverseError(f"universe skypix system {name!r} must be {SKYPIX_CLASSES[name]}")
                systems.append(SkyPixSystem(str(name), int(data["max_level"])))
            partial = cls(tuple(systems))
            if "common" in skypix:
                common = partial.skypix(str(skypix["common"]))
                if common is None:
                    raise UniverseError(f"universe skypix 'common' {skypix['common']!r} is not a level of a "
                                        "skypix system the universe defines")
        spatial: tuple[tuple[str, tuple[str, ...]], ...] = ()
        temporal: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if topology is not None:
            if not isinstance(topology, Mapping) or set(topology) - {"spatial", "temporal"}:
                raise UniverseError("universe 'topology' must be a mapping with 'spatial' and 'temporal' families")
            spatial = _families(topology.get("spatial"), "spatial")
            temporal = _families(topology.get("temporal"), "temporal")
        if spatial and common is None:
            raise UniverseError("universe 'topology.spatial' needs a 'skypix.common' pixelization to relate families")
        return cls(tuple(systems), common, spatial, temporal)

    def to_mapping(self) -> dict[str, Any]:
        """The ``skypix`` and ``topology`` sections ``from_mapping`` reads (empty if the universe has neither)."""
        out: dict[str, Any] = {}
        if self.systems:
            skypix: dict[str, Any] = {}
            if self.common is not None:
                skypix["common"] = self.common.name
            for system in self.systems:
                skypix[system.name] = {"class": SKYPIX_CLASSES[system.name], "max_level": system.max_level}
            out["skypix"] = skypix
        if self.spatial or self.temporal:
            out["topology"] = {kind: {name: list(members) for name, members in families}
                               for kind, families in (("spatial", self.spatial), ("temporal", self.temporal))
                               if families}
        return out


def _families(value: Any, kind: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise UniverseError(f"universe topology.{kind} must map family names to lists of elements")
    families = []
    seen: set[str] = set()
    for name, members in value.items():
        if isinstance(members, str) or not isinstance(members, list | tuple) or not members:
            raise UniverseError(f"universe topology.{kind}.{name} must be a non-empty list of element names")
        for member in members:
            if member in seen:
                raise UniverseError(f"universe topology.{kind}: element {member!r} is in two families")
            seen.add(str(member))
        families.append((str(name), tuple(str(m) for m in members)))
    return tuple(families)
