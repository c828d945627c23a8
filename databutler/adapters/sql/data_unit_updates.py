"""Updating DataUnit and join-element records in place (Registry.update_data_units).

A record's key fields are its identity: datasets and other records refer to it by them, so they
never change. Metadata may always change. An implied unit (visit -> physical_filter) may change
only while no dataset is labelled with the record, because a dataset row keeps the implied values
its DataId was expanded with, and rewriting them would silently relabel stored data.

This registry's caches follow the update; another registry already open on the same database
keeps the implied values it has seen until it is reopened (records were insert-only before, so
its caches are never invalidated from outside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.errors import ConflictingDefinitionError, DataIdError
from ...domain.remedies import Action, Remedy
from ...domain.universe import DataUnitType, Universe
from .data_units import DataUnitManager, Key, describe_key
from .layout import Layout


class DataUnitUpdater:
    """Updates records of the elements ``manager`` reads and writes (see the module docstring)."""

    def __init__(self, manager: DataUnitManager, universe: Universe, layout: Layout) -> None:
        self._manager = manager
        self._universe = universe
        self._layout = layout

    def update(self, connection: sa.Connection, name: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set the given fields of existing records of element ``name``; return how many records changed."""
        manager, universe, layout = self._manager, self._universe, self._layout
        element = universe.element(name)
        fields = universe.key_fields(name)
        implies = element.implies if isinstance(element, DataUnitType) else ()
        batch: dict[Key, dict[str, Any]] = {}
        for record in records:
            checked = manager.validate_record(name, record, partial=True)
            key = tuple(checked[f] for f in fields)
            if key in batch:
                raise ConflictingDefinitionError(f"{name} record with key {dict(zip(fields, key, strict=True))} "
                                                 "appears twice in the update; give each record once")
            batch[key] = checked
        if not batch:
            return 0
        existing = {tuple(r[f] for f in fields): r for r in manager.fetch(
            connection, name, [dict(zip(fields, k, strict=True)) for k in batch])}
        missing = [k for k in batch if k not in existing]
        if missing:
            raise DataIdError(f"cannot update {name} record {dict(zip(fields, missing[0], strict=True))}: it is "
                              f"not in the registry ({len(missing)} of {len(batch)} records are missing; nothing "
                              "was updated)", remedy=Remedy(Action.INSERT_DATA_UNITS, name))
        layout.check_records(connection, name, fields, list(batch), f"update {name} records")
        changed: dict[Key, dict[str, Any]] = {}
        for key, record in batch.items():
            old = existing[key]
            different = {f: v for f, v in record.items() if f not in fields and old.get(f) != v}
            if different:
                changed[key] = {**old, **different}
                relinked = {u: (old.get(u), v) for u, v in different.items() if u in implies}
                if relinked:
                    self._refuse_if_labelled(connection, name, key, relinked)
        if not changed:
            return 0
        manager.populate(connection, name, changed.values())
        manager.check_parents(connection, name, changed.values())
        table = layout.writes.elements[name]
        for key, record in changed.items():
            row = {c: v for c, v in manager.to_row(name, record).items() if c not in fields}
            match = sa.and_(*(table.c[f] == v for f, v in zip(fields, key, strict=True)))
            connection.execute(table.update().where(match).values(**row))
        manager.relink(name, {k: {u: r.get(u) for u in implies} for k, r in changed.items()})
        return len(changed)

    def _refuse_if_labelled(self, connection: sa.Connection, name: str, key: Key,
                            relinked: Mapping[str, tuple[Any, Any]]) -> None:
        """Refuse to change the implied units of a record that datasets are labelled with."""
        required = self._universe.required(name)
        dataset = self._layout.reads.dataset
        match = sa.and_(*(dataset.c[u] == v for u, v in zip(required, key, strict=True)))
        if connection.execute(sa.select(dataset.c.id).where(match).limit(1)).first() is None:
            return
        changes = ", ".join(f"{u} from {old!r} to {new!r}" for u, (old, new) in relinked.items())
        raise ConflictingDefinitionError(
            f"cannot change {describe_key(required, key)}'s {changes}: datasets are labelled with this record "
            "and their DataIds keep the implied values; remove those datasets first, or update only metadata fields")
