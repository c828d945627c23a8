"""The DataUnit rules of RegistryBase: inserting and updating records, governor inference and DataId expansion.

They need to know which records exist, so they read through the registry's storage hooks
(``_lookup_data_units``, ``_fetch_data_unit_records``); every hook call covers a whole batch.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..domain.data_id import DataId, normalize_data_id
from ..domain.errors import ConflictingDefinitionError, DataIdError
from ..domain.records import Implied, Key, RecordRules, describe_key, distinct_keys
from ..domain.region import same_value
from ..domain.remedies import Action, Remedy
from ..domain.skypix import skypix_range
from ..domain.universe import DataUnitType, Universe
from ..domain.values import KeyValue

if TYPE_CHECKING:
    from .registry_base import RegistryBase

_CACHE_LIMIT = 200_000
"""Expanded DataIds remembered before the memo is emptied and refilled."""
_Plan = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


class DataUnitRules:
    """The record and DataId rules of one registry (see the module docstring)."""

    def __init__(self, universe: Universe, records: RecordRules, registry: RegistryBase) -> None:
        self._universe = universe
        self._records = records
        self._registry = registry
        self._order = {e.name: i for i, e in enumerate(universe.elements)}
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._expanded: dict[tuple[Any, ...], Mapping[str, KeyValue]] = {}

    def forget(self) -> None:
        """Forget every expanded DataId."""
        self._expanded.clear()

    # -- inserts and updates ------------------------------------------------------------------

    def _refuse_skypix(self, name: str, action: str) -> None:
        if self._universe.is_skypix(name):
            begin, end = skypix_range(self._universe, name)
            raise DataIdError(f"cannot {action} {name} records: {name} is a skypix DataUnit, which has no records; "
                              f"its values are pixel indices in [{begin}, {end})")

    def _lookup(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied]:
        """The implied values of the records of ``unit`` with these keys; a skypix unit's valid pixels all exist."""
        if not self._universe.is_skypix(unit):
            return self._registry._lookup_data_units(unit, keys)
        begin, end = skypix_range(self._universe, unit)
        return {key: {} for key in keys if isinstance(key[0], int) and begin <= key[0] < end}

    def insert(self, name: str, records: Sequence[Mapping[str, Any]], skip_existing: bool) -> int:
        """Insert records of element ``name``; return how many were new (see Registry.insert_data_units)."""
        self._refuse_skypix(name, "insert")
        registry = self._registry
        element = self._universe.element(name)
        fields = self._universe.key_fields(name)
        batch = self._records.batch(name, records, skip_repeats=skip_existing)
        if not batch:
            return 0
        self.populate(name, batch.values())
        self.check_parents(name, batch.values())
        maybe_present = list(batch)
        if isinstance(element, DataUnitType):  # a cheap key probe first; full records only for those found
            known = registry._lookup_data_units(name, maybe_present)
            maybe_present = [k for k in maybe_present if k in known]
        existing = {tuple(r[f] for f in fields): r for r in registry._fetch_data_unit_records(
            name, maybe_present)} if maybe_present else {}
        new: list[dict[str, Any]] = []
        for key, record in batch.items():
            old = existing.get(key)
            if old is None:
                new.append(record)
                continue
            different = {f: (old.get(f), v) for f, v in record.items() if not same_value(old.get(f), v)}
            if skip_existing and not different:
                continue
            detail = f"with different values (existing, given): {different}" if different else "already"
            raise ConflictingDefinitionError(f"{name} record with key {dict(zip(fields, key, strict=True))} "
                                             f"exists {detail}",
                                             remedy=None if different else Remedy(Action.SKIP_EXISTING))
        if new:
            registry._insert_data_units(name, new)
        return len(new)

    def update(self, name: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set the given fields of existing records of ``name``; return how many changed (see Registry)."""
        self._refuse_skypix(name, "update")
        registry = self._registry
        element = self._universe.element(name)
        fields = self._universe.key_fields(name)
        implies = element.implies if isinstance(element, DataUnitType) else ()
        batch = self._records.batch(name, records, partial=True)
        if not batch:
            return 0
        existing = {tuple(r[f] for f in fields): r for r in registry._fetch_data_unit_records(name, list(batch))}
        missing = [k for k in batch if k not in existing]
        if missing:
            raise DataIdError(f"cannot update {name} record {dict(zip(fields, missing[0], strict=True))}: it is "
                              f"not in the registry ({len(missing)} of {len(batch)} records are missing; nothing "
                              "was updated)", remedy=Remedy(Action.INSERT_DATA_UNITS, name))
        registry._check_records_writable(name, list(batch), f"update {name} records")
        changed: dict[Key, dict[str, Any]] = {}
        for key, record in batch.items():
            old = existing[key]
            different = {f: v for f, v in record.items() if f not in fields and not same_value(old.get(f), v)}
            if different:
                changed[key] = {**old, **different}
                relinked = {u: (old.get(u), v) for u, v in different.items() if u in implies}
                if relinked and registry._data_unit_in_use(name, key):
                    required = self._universe.required(name)
                    changes = ", ".join(f"{u} from {was!r} to {now!r}" for u, (was, now) in relinked.items())
                    raise ConflictingDefinitionError(
                        f"cannot change {describe_key(required, key)}'s {changes}: datasets are labelled with this "
                        "record and their DataIds keep the implied values; remove those datasets first, or update "
                        "only metadata fields")
        if not changed:
            return 0
        self.populate(name, changed.values())
        self.check_parents(name, changed.values())
        registry._update_data_units(name, changed)
        self._expanded.clear()
        return len(changed)

    def populate(self, name: str, records: Sequence[dict[str, Any]] | Any) -> None:
        """Insert the records of units ``populated_by`` element ``name`` that its records name (governor inference)."""
        registry = self._registry
        for unit in self._universe.units:
            if unit.populated_by != name:
                continue
            keys = list(distinct_keys(records, self._universe.required(unit.name)))
            # Looked up first: a key may be held by records this registry reads but does not write (a release).
            found = registry._lookup_data_units(unit.name, keys)
            new = [k for k in keys if k not in found]
            if new:
                fields = self._universe.key_fields(unit.name)
                registry._insert_data_units(unit.name, [dict(zip(fields, k, strict=True)) for k in new],
                                            ignore_conflicts=True)
                registry._lookup_data_units(unit.name, new)

    def check_parents(self, name: str, records: Any) -> None:
        """Refuse records of ``name`` that name a required, implied or joined record the registry lacks."""
        element = self._universe.element(name)
        parents = ([*element.requires, *element.implies] if isinstance(element, DataUnitType)
                   else list(element.joins))
        records = list(records)
        for parent in parents:
            required = self._universe.required(parent)
            keys = distinct_keys(records, required)
            found = self._lookup(parent, list(keys))
            for key in sorted(keys - set(found), key=repr):
                raise DataIdError(f"{name} record refers to {describe_key(required, key)}, which is not in the "
                                  f"registry; insert the {parent} record first")

    # -- DataIds ------------------------------------------------------------------------------

    def _plan(self, units: tuple[str, ...]) -> _Plan:
        """The closure of ``units``, the units it implies, and the order to check them in."""
        plan = self._plans.get(units)
        if plan is None:
            closure = self._universe.closure(units)
            implied = self._universe.implied(closure)
            # Reverse universe order: a unit comes after every unit it implies, so a record's implied
            # values are known before the implied unit itself is checked.
            order = sorted({*closure, *implied}, key=self._order.__getitem__, reverse=True)
            plan = self._plans[units] = (closure, implied, tuple((u, self._universe.required(u)) for u in order))
        return plan

    def expand(self, units: tuple[str, ...], data_ids: Sequence[Mapping[str, Any]]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values."""
        closure, implied_names, steps = self._plan(units)
        given = [normalize_data_id(self._universe, closure, d) for d in data_ids]
        if not any(d.implied for d in given):  # the common case: every DataId expanded before
            remembered = [self._expanded.get((closure, *d.values())) for d in given]
            if None not in remembered:
                return [d.with_implied(implied) for d, implied in zip(given, remembered, strict=True)
                        if implied is not None]
        full: list[dict[str, KeyValue]] = [d.full for d in given]  # fresh dicts, filled in below
        lookup = self._lookup
        for unit, required in steps:
            keys: list[tuple[int, Key]] = []
            getter = operator.itemgetter(*required)
            single = len(required) == 1
            for i, values in enumerate(full):
                try:
                    key = (getter(values),) if single else getter(values)
                except KeyError:  # an implied unit whose value is not known: nothing to check
                    continue
                keys.append((i, key))
            if not keys:
                continue
            # Each distinct key once, in one storage read: a bulk insert names few units many times.
            found = lookup(unit, list(dict.fromkeys(k for _, k in keys)))
            known: dict[Key, list[tuple[str, KeyValue]]] = {}  # each key's non-NULL implied values
            for i, key in keys:
                pairs = known.get(key)
                if pairs is None:
                    implied: Implied | None = found.get(key)
                    if implied is None:
                        if self._universe.is_skypix(unit):
                            begin, end = skypix_range(self._universe, unit)
                            raise DataIdError(f"data ID {dict(given[i])}: {unit} {key[0]!r} is not a pixel of {unit} "
                                              f"(valid indices are [{begin}, {end}))")
                        raise DataIdError(f"data ID {dict(given[i])}: {describe_key(required, key)} is not in the "
                                          "registry")
                    pairs = known[key] = [(u, v) for u, v in implied.items() if v is not None]
                for implied_unit, value in pairs:
                    current = full[i].get(implied_unit)
                    if current is not None and current != value:
                        raise DataIdError(f"data ID {given[i].full}: {implied_unit}={current!r} contradicts the "
                                          f"registry, where {describe_key(required, key)} has "
                                          f"{implied_unit}={value!r}")
                    full[i][implied_unit] = value
        expanded = [d.with_implied({u: values[u] for u in implied_names if u in values})
                    for d, values in zip(given, full, strict=True)]
        if len(self._expanded) + len(expanded) > _CACHE_LIMIT:
            self._expanded.clear()
        for data_id in expanded:
            self._expanded[(closure, *data_id.values())] = data_id.implied
        return expanded
