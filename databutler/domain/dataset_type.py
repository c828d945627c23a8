"""DatasetTypes: a name, the DataUnits that label it, and a StorageClass."""

from __future__ import annotations

import re

import attrs

from .errors import DatasetTypeError
from .universe import Universe

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COMPONENT_SEPARATOR = "."
DATASET_TYPE_NAME_MAX_LENGTH = 128
"""The longest dataset type name (registries index it; file templates use it as a path component)."""


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
        if len(self.name) > DATASET_TYPE_NAME_MAX_LENGTH:
            raise DatasetTypeError(f"dataset type name {self.name[:40]!r}... is {len(self.name)} characters long; "
                                   f"names may have at most {DATASET_TYPE_NAME_MAX_LENGTH}")

    def normalized(self, universe: Universe) -> DatasetType:
        """Return this DatasetType with its units replaced by their required closure, sorted."""
        return attrs.evolve(self, units=universe.closure(self.units))


def split_component(name: str) -> tuple[str, str | None]:
    """Split ``"calexp.wcs"`` into ``("calexp", "wcs")``; a plain name has no component."""
    parent, sep, component = name.partition(COMPONENT_SEPARATOR)
    if sep and (not component or COMPONENT_SEPARATOR in component):
        raise DatasetTypeError(f"{name!r} is not a valid dataset type or component name")
    return parent, (component if sep else None)
