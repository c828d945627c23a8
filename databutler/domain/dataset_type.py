"""DatasetTypes: a name, the DataUnits that label it, and a StorageClass."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

import attrs

from .errors import ConflictingDefinitionError, DatasetTypeError, MissingDatasetTypeError, StorageClassError
from .remedies import Action, Remedy
from .storage_class import MAX_STORAGE_CLASS_NAME
from .suggestions import closest, did_you_mean, hint
from .universe import Universe

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COMPONENT_SEPARATOR = "."
DATASET_TYPE_NAME_MAX_LENGTH = 128
"""The longest dataset type name (registries index it; file templates use it as a path component)."""


def _units(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, Mapping | bytes):
        raise DatasetTypeError(f"a dataset type's units are a list of DataUnit names, not {type(value).__name__}")
    return tuple(str(v) for v in value)


@attrs.frozen
class DatasetType:
    """A named kind of Dataset: which DataUnits label it and which StorageClass it is stored as."""

    name: str
    units: tuple[str, ...] = attrs.field(converter=_units)
    storage_class: str
    is_calibration: bool = attrs.field(default=False, kw_only=True)
    """Whether Datasets of this type may be certified into CALIBRATION collections (the reference's flag)."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not isinstance(self.storage_class, str):
            raise DatasetTypeError(f"a dataset type's name and storage class are strings, not "
                                   f"{type(self.name).__name__} and {type(self.storage_class).__name__}")
        if not isinstance(self.is_calibration, bool):
            raise DatasetTypeError(f"dataset type {self.name!r}: is_calibration must be True or False, not "
                                   f"{self.is_calibration!r}")
        if not _NAME.match(self.name):
            raise DatasetTypeError(f"dataset type name {self.name!r} must be letters, digits and "
                                   "underscores, not starting with a digit")
        for what, value, limit in (("name", self.name, DATASET_TYPE_NAME_MAX_LENGTH),
                                   ("storage class name", self.storage_class, MAX_STORAGE_CLASS_NAME)):
            if isinstance(value, str) and len(value) > limit:
                raise DatasetTypeError(f"dataset type {what} {value[:40]!r}... is {len(value)} characters long; "
                                       f"at most {limit} are allowed")

    def normalized(self, universe: Universe) -> DatasetType:
        """Return this DatasetType with its units replaced by the required closure of the minimal set, sorted.

        A unit implied by another one listed (band next to physical_filter) stays implied, as in the
        reference: it is filled in from records, never asked for in a DataId.
        """
        return attrs.evolve(self, units=universe.closure(minimal_units(universe, self.units)))


def minimal_units(universe: Universe, units: Iterable[str]) -> tuple[str, ...]:
    """``units`` without those implied (directly or not) by another of them."""
    names = tuple(units)
    return tuple(u for u in names if u not in universe.implied([v for v in names if v != u]))


def split_component(name: str) -> tuple[str, str | None]:
    """Split ``"calexp.wcs"`` into ``("calexp", "wcs")``; a plain name has no component."""
    if not isinstance(name, str):
        raise DatasetTypeError(f"a dataset type is named by a string or given as a DatasetType, not "
                               f"{type(name).__name__}")
    parent, sep, component = name.partition(COMPONENT_SEPARATOR)
    if sep and (not component or COMPONENT_SEPARATOR in component):
        raise DatasetTypeError(f"{name!r} is not a valid dataset type or component name")
    return parent, (component if sep else None)


def check_dataset_type(dataset_type: object, storage_classes: Collection[str] | None) -> DatasetType:
    """Return ``dataset_type`` if it is a DatasetType whose storage class is one of ``storage_classes``.

    The rule every registry applies before registering: a misspelled storage class is refused at
    once with the closest known names (it would otherwise fail only at the first put). ``None``
    means the repository has not said which storage classes it knows, so any name passes.
    """
    if not isinstance(dataset_type, DatasetType):
        raise DatasetTypeError(f"expected a DatasetType, got {type(dataset_type).__name__}")
    name = dataset_type.storage_class
    if not name:
        raise DatasetTypeError(f"dataset type {dataset_type.name!r} needs a storage class")
    if storage_classes is not None and name not in storage_classes:
        known = sorted(storage_classes)
        raise StorageClassError(
            f"dataset type {dataset_type.name!r}: storage class {name!r} is not known to this repository; "
            f"{hint(name, known, otherwise=f'known storage classes are {known}')} (new storage classes are "
            "defined under 'storage_classes:' in butler.yaml)")
    return dataset_type


def missing_dataset_type(name: str, registered: Iterable[str]) -> MissingDatasetTypeError:
    """The error for unregistered DatasetType ``name``: the closest registered names, else how to register it."""
    close = closest(name, registered)
    if close:
        return MissingDatasetTypeError(f"dataset type {name!r} is not registered; {did_you_mean(close)}")
    return MissingDatasetTypeError(f"dataset type {name!r} is not registered",
                                   remedy=Remedy(Action.REGISTER_DATASET_TYPE, name))


def same_dataset_type(existing: DatasetType, given: DatasetType) -> bool:
    """True if ``given`` is the registered ``existing`` (both normalized); a different definition is refused."""
    if existing == given:
        return True
    raise ConflictingDefinitionError(
        f"dataset type {given.name!r} is registered as {_describe(existing)}, not {_describe(given)}; use another "
        "name or remove the existing one first")


def _describe(dataset_type: DatasetType) -> str:
    calibration = " (a calibration type)" if dataset_type.is_calibration else ""
    return f"units {list(dataset_type.units)} with storage class {dataset_type.storage_class!r}{calibration}"
