"""DatasetTypes: a name, the DataUnits that label it, and a StorageClass."""

from __future__ import annotations

import re

import attrs

from .errors import DatasetTypeError
from .universe import Universe

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COMPONENT_SEPARATOR = "."


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
        if not isinstance(self.name, str) or not isinstance(self.storage_class, str):
            raise DatasetTypeError(f"a dataset type's name and storage class are strings, not "
                                   f"{type(self.name).__name__} and {type(self.storage_class).__name__}")
        if not _NAME.match(self.name):
            raise DatasetTypeError(f"dataset type name {self.name!r} must be letters, digits and "
                                   "underscores, not starting with a digit")

    def normalized(self, universe: Universe) -> DatasetType:
        """Return this DatasetType with its units replaced by their required closure, sorted."""
        return attrs.evolve(self, units=universe.closure(self.units))


def split_component(name: str) -> tuple[str, str | None]:
    """Split ``"calexp.wcs"`` into ``("calexp", "wcs")``; a plain name has no component."""
    if not isinstance(name, str):
        raise DatasetTypeError(f"a dataset type is named by a string or given as a DatasetType, not "
                               f"{type(name).__name__}")
    parent, sep, component = name.partition(COMPONENT_SEPARATOR)
    if sep and (not component or COMPONENT_SEPARATOR in component):
        raise DatasetTypeError(f"{name!r} is not a valid dataset type or component name")
    return parent, (component if sep else None)
