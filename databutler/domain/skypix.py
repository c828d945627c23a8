"""Sky pixelizations: the sphgeom pixelization of a skypix DataUnit and the range of its pixel indices."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from lsst import sphgeom

from .topology import SkyPixUnit

if TYPE_CHECKING:
    from .universe import Universe


@functools.lru_cache(maxsize=64)
def pixelization(unit: SkyPixUnit) -> sphgeom.PixelizationABC | sphgeom.Pixelization:
    """The sphgeom pixelization of ``unit`` (``htm7`` -> HtmPixelization(7))."""
    if unit.system == "htm":
        return sphgeom.HtmPixelization(unit.level)
    if unit.system == "healpix":
        return sphgeom.HealpixPixelization(unit.level)
    if unit.system == "q3c":
        return sphgeom.Q3cPixelization(unit.level)
    if unit.system == "mq3c":
        return sphgeom.Mq3cPixelization(unit.level)
    raise ValueError(f"unknown skypix system {unit.system!r}")


@functools.lru_cache(maxsize=64)
def index_range(unit: SkyPixUnit) -> tuple[int, int]:
    """The valid pixel indices of ``unit``: [begin, end)."""
    ranges = list(pixelization(unit).universe())
    return ranges[0][0], ranges[-1][1]


def skypix_range(universe: Universe, name: str) -> tuple[int, int]:
    """The valid pixel indices [begin, end) of skypix DataUnit ``name`` of ``universe``."""
    unit = universe.topology.skypix(name)
    if unit is None:
        raise ValueError(f"{name!r} is not a skypix DataUnit")
    return index_range(unit)
