"""DataIds: validated, normalised mappings from DataUnit names to key values."""

from __future__ import annotations

import json
from collections.abc import ItemsView, Iterator, Mapping
from typing import Any

from .errors import DataIdError
from .universe import Universe
from .values import KeyValue, coerce_key


class DataId(Mapping[str, KeyValue]):
    """An immutable DataId: the required unit keys (the mapping) plus any known implied values.

    Equality and hashing use the required keys only, so a DataId expanded by the registry
    equals the one the user gave.
    """

    __slots__ = ("_hash", "_implied", "_values")

    def __init__(self, values: Mapping[str, KeyValue], implied: Mapping[str, KeyValue] | None = None):
        self._values = dict(values)
        self._implied = dict(implied or {})
        self._hash = hash(tuple(self._values.items()))

    def __getitem__(self, key: str) -> KeyValue:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> ItemsView[str, KeyValue]:
        """The required (unit, value) pairs (the dict's own view: faster than the Mapping default)."""
        return self._values.items()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DataId):
            return self._values == other._values
        if isinstance(other, Mapping):
            return self._values == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"DataId({self._values!r})"

    @property
    def units(self) -> tuple[str, ...]:
        """The names of the required units, in universe order."""
        return tuple(self._values)

    @property
    def implied(self) -> Mapping[str, KeyValue]:
        """The implied unit values known for this DataId (filled in by the registry)."""
        return self._implied

    @property
    def full(self) -> dict[str, KeyValue]:
        """Required and implied values together."""
        return {**self._values, **self._implied}

    def key(self) -> str:
        """A canonical string identifying the DataId among those with the same units."""
        return json.dumps(list(self._values.values()), separators=(",", ":"), ensure_ascii=False)

    def with_implied(self, implied: Mapping[str, KeyValue]) -> DataId:
        """Return a copy that also carries ``implied`` values."""
        return DataId(self._values, {**self._implied, **implied})


def normalize_data_id(universe: Universe, units: tuple[str, ...], data_id: Mapping[str, Any] | None,
                      extra: Mapping[str, Any] | None = None, *, what: str = "data ID") -> DataId:
    """Validate ``data_id`` (merged with ``extra``) for ``units`` and return a DataId.

    ``units`` must already be a required closure in universe order. Values of implied units
    may be given; they are kept to be checked against the registry. Raises DataIdError for an
    unknown name, a missing key, a value of the wrong type, or a unit that does not belong.
    """
    given: dict[str, Any] = {}
    if data_id is not None:
        if not isinstance(data_id, Mapping):
            raise DataIdError(f"{what}: expected a mapping of DataUnit names to values, got "
                              f"{type(data_id).__name__}")
        given.update(data_id)
    if extra:
        for name, value in extra.items():
            if name in given and given[name] != value:
                raise DataIdError(f"{what}: {name!r} given twice with different values "
                                  f"({given[name]!r} and {value!r})")
            given[name] = value
    implied_names = set(universe.implied(units))
    values: dict[str, KeyValue] = {}
    implied: dict[str, KeyValue] = {}
    for name in given:
        if not isinstance(name, str):
            raise DataIdError(f"{what}: key {name!r} is not a DataUnit name")
        if name not in units and name not in implied_names:
            unit = universe.unit(name)  # raises UnknownDataUnitError for a name not in the universe
            raise DataIdError(f"{what}: {unit.name!r} is not one of the units {list(units)} "
                              f"(or the units they imply); remove it")
    for name in units:
        if name not in given:
            raise DataIdError(f"{what}: missing a value for {name!r}; units {list(units)} are required")
        key = universe.unit(name).key
        values[name] = coerce_key(given[name], key.type, f"{what}: {name}", key.length)
    for name in sorted(implied_names & set(given)):
        key = universe.unit(name).key
        implied[name] = coerce_key(given[name], key.type, f"{what}: {name}", key.length)
    return DataId(values, implied)
