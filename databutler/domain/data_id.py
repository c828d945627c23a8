"""DataIds: validated, normalised mappings from DataUnit names to key values."""

from __future__ import annotations

import json
from collections.abc import ItemsView, Iterator, Mapping
from json.encoder import encode_basestring
from typing import Any, cast

from .errors import DataIdError
from .universe import Universe
from .values import INT64_MAX, INT64_MIN, FieldType, KeyValue, coerce_key


class DataId(Mapping[str, KeyValue]):
    """An immutable DataId: the required unit keys (the mapping) plus any known implied values.

    Equality and hashing use the required keys only, so a DataId expanded by the registry
    equals the one the user gave.
    """

    __slots__ = ("_hash", "_implied", "_values")

    def __init__(self, values: Mapping[str, KeyValue], implied: Mapping[str, KeyValue] | None = None):
        self._values = dict(values)
        self._implied = dict(implied or {})

    @classmethod
    def adopt(cls, values: dict[str, KeyValue], implied: dict[str, KeyValue]) -> DataId:
        """A DataId that takes ownership of already-validated dicts instead of copying them.

        For adapters building many DataIds from trusted rows; the caller must not keep or change
        ``values`` or ``implied`` afterwards.
        """
        self = object.__new__(cls)
        self._values = values
        self._implied = implied
        return self

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
        try:
            return self._hash
        except AttributeError:  # computed on first use: most DataIds read from a registry are never hashed
            self._hash: int = hash(tuple(self._values.items()))
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
        """A canonical string identifying the DataId among those with the same units.

        The compact JSON list of the values; ints and strings (every validated key) are encoded
        here as ``json.dumps`` would, without its per-call set-up.
        """
        parts = []
        for value in self._values.values():
            kind = type(value)
            if kind is int:
                parts.append(int.__repr__(value))
            elif kind is str:
                parts.append(encode_basestring(cast(str, value)))
            else:
                return json.dumps(list(self._values.values()), separators=(",", ":"), ensure_ascii=False)
        return "[" + ",".join(parts) + "]"

    def with_implied(self, implied: Mapping[str, KeyValue]) -> DataId:
        """Return a copy that also carries ``implied`` values."""
        return DataId.adopt(self._values, {**self._implied, **implied})  # the values dict is never changed


def normalize_data_id(universe: Universe, units: tuple[str, ...], data_id: Mapping[str, Any] | None,
                      extra: Mapping[str, Any] | None = None, *, what: str = "data ID") -> DataId:
    """Validate ``data_id`` (merged with ``extra``) for ``units`` and return a DataId.

    ``units`` must already be a required closure in universe order. Values of implied units
    may be given; they are kept to be checked against the registry. Raises DataIdError for an
    unknown name, a missing key, a value of the wrong type, or a unit that does not belong.
    """
    given: Mapping[str, Any]
    if data_id is not None and not isinstance(data_id, Mapping):
        raise DataIdError(f"{what}: expected a mapping of DataUnit names to values, got "
                          f"{type(data_id).__name__}")
    if extra:
        merged: dict[str, Any] = {} if data_id is None else dict(data_id)
        for name, value in extra.items():
            if name in merged and merged[name] != value:
                raise DataIdError(f"{what}: {name!r} given twice with different values "
                                  f"({merged[name]!r} and {value!r})")
            merged[name] = value
        given = merged
    else:
        given = {} if data_id is None else data_id  # only read
    allowed, implied_names, key_specs = _data_id_plan(universe, units)
    if not allowed.issuperset(given):
        for name in given:
            if not isinstance(name, str):
                raise DataIdError(f"{what}: key {name!r} is not a DataUnit name")
            if name not in allowed:
                unit = universe.unit(name)  # raises UnknownDataUnitError for a name not in the universe
                raise DataIdError(f"{what}: {unit.name!r} is not one of the units {list(units)} "
                                  f"(or the units they imply); remove it")
    values: dict[str, KeyValue] = {}
    for name, field_type, length in key_specs:
        try:
            value = given[name]
        except KeyError:
            raise DataIdError(f"{what}: missing a value for {name!r}; units {list(units)} are required") from None
        if field_type is _INT and type(value) is int and INT64_MIN <= value <= INT64_MAX:  # coerce_key's result
            values[name] = value
        else:
            values[name] = coerce_key(value, field_type, f"{what}: {name}", length)
    implied: dict[str, KeyValue] = {}
    if len(given) > len(values):
        for name in sorted(implied_names.intersection(given)):
            key = universe.unit(name).key
            implied[name] = coerce_key(given[name], key.type, f"{what}: {name}", key.length)
    return DataId.adopt(values, implied)


_INT = FieldType.INT
_PLANS: dict[tuple[int, tuple[str, ...]], tuple[Universe, frozenset[str], frozenset[str],
                                                tuple[tuple[str, FieldType, int | None], ...]]] = {}


def _data_id_plan(universe: Universe, units: tuple[str, ...]) -> tuple[
        frozenset[str], frozenset[str], tuple[tuple[str, FieldType, int | None], ...]]:
    """The names a data ID for ``units`` may hold, the implied ones, and each unit's key type and length.

    Worked out once per universe and units, keyed by the universe's identity (hashing a Universe
    walks all its elements).
    """
    plan = _PLANS.get((id(universe), units))
    if plan is None or plan[0] is not universe:
        implied = frozenset(universe.implied(units))
        specs = []
        for name in units:
            key = universe.unit(name).key
            specs.append((name, key.type, key.length))
        if len(_PLANS) > 1000:
            _PLANS.clear()
        plan = _PLANS[(id(universe), units)] = (universe, frozenset(units) | implied, implied, tuple(specs))
    return plan[1], plan[2], plan[3]
