"""Pixel boxes: ``(x0, y0, x1, y1)`` in the parent frame, ``x1`` and ``y1`` exclusive (as Python slices).

A box ``(x0, y0, x1, y1)`` holds the pixels ``x0 <= x < x1`` and ``y0 <= y < y1``: its image is
``x1 - x0`` wide and ``y1 - y0`` high, and a numpy array of it is indexed ``[y - y0, x - x0]``.
The same convention holds for an Exposure's own ``bbox`` and for the ``bbox`` read parameter.
"""

from __future__ import annotations

import operator
from typing import Any

from .errors import StorageClassError

Box = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)``: the pixels ``x0 <= x < x1``, ``y0 <= y < y1``."""


def check_box(value: Any, what: str = "bbox") -> Box:
    """Return ``value`` as a Box of 4 ints with ``x0 < x1`` and ``y0 < y1``, else raise StorageClassError."""
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 4:
        raise StorageClassError(f"{what} {value!r} is not a box: give 4 integers (x0, y0, x1, y1), "
                                "x1 and y1 exclusive")
    try:
        if any(isinstance(v, bool) for v in value):
            raise TypeError("a bool is not a pixel coordinate")
        x0, y0, x1, y1 = (operator.index(v) for v in value)
    except TypeError:
        raise StorageClassError(f"{what} {tuple(value)!r} is not a box: its 4 values must be integers") from None
    if x1 <= x0 or y1 <= y0:
        raise StorageClassError(f"{what} {(x0, y0, x1, y1)!r} holds no pixels: it needs x0 < x1 and y0 < y1 "
                                "(x1 and y1 are exclusive)")
    return x0, y0, x1, y1


def check_box_within(box: Box, outer: Box, what: str = "bbox") -> Box:
    """Return ``box`` if it lies inside ``outer``, else raise StorageClassError naming both."""
    x0, y0, x1, y1 = box
    ox0, oy0, ox1, oy1 = outer
    if x0 < ox0 or y0 < oy0 or x1 > ox1 or y1 > oy1:
        raise StorageClassError(f"{what} {box!r} is not inside the image, whose box is {outer!r} "
                                "(x0, y0, x1, y1; x1 and y1 exclusive)")
    return box


def box_shape(box: Box) -> tuple[int, int]:
    """The numpy shape ``(height, width)`` of the image of ``box``."""
    x0, y0, x1, y1 = box
    return y1 - y0, x1 - x0


def cut_out(obj: Any, bbox: Any) -> Any:
    """Return the part of ``obj`` inside ``bbox``, through its ``cutout(box)`` method (the ``bbox`` read parameter)."""
    box = check_box(bbox)
    cutout = getattr(obj, "cutout", None)
    if not callable(cutout):
        raise StorageClassError(f"read parameter 'bbox' needs a dataset with a pixel box; a "
                                f"{type(obj).__qualname__} has none")
    return cutout(box)
