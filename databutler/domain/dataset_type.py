"""DatasetTypes: a name, the DataUnits that label it, and a StorageClass."""

from __future__ import annotations

import re

import attrs

from .errors import DatasetTypeError
from .storage_class import MAX_STORAGE_CLASS_NAME
from .universe import Universe

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COMPONENT_SEPARATOR = "."
MAX_DATASET_TYPE_NAME = 128
"""The longest dataset type name, in characters: every registry refuses longer ones alike."""


def _units(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


@attrs.frozen
class DatasetType:
    """A named kind of Dataset: which DataUnits label it and which StorageClass it is stored as."""

    name: str
    units: tuple[str, ...] = attrs.field(converter=_units)
    storage_class: str

    def __attrs_post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise DatasetTypeError(f"dataset type name {self.name!r} must be letters, digits and "
                                   "underscores, not starting with a digit")
        for what, value, limit in (("name", self.name, MAX_DATASET_TYPE_NAME),
                                   ("storage class name", self.storage_class, MAX_STORAGE_CLASS_NAME)):
            if isinstance(value, str) and len(value) > limit:
                raise DatasetTypeError(f"dataset type {what} {value[:40]!r}... has {len(value)} characters; "
                                       f"at most {limit} are allowed")

    def normalized(self, universe: Universe) -> DatasetType:
        """Return this DatasetType with its units replaced by their required closure, sorted."""
        return attrs.evolve(self, units=universe.closure(self.units))


def split_component(name: str) -> tuple[str, str | None]:
    """Split ``"calexp.wcs"`` into ``("calexp", "wcs")``; a plain name has no component."""
    parent, sep, component = name.partition(COMPONENT_SEPARATOR)
    if sep and (not component or COMPONENT_SEPARATOR in component):
        raise DatasetTypeError(f"{name!r} is not a valid dataset type or component name")
    return parent, (component if sep else None)
