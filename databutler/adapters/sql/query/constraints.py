"""What constrains a query: the parsed where expression, a data ID, and inferred governor values.

A DataUnit key such as ``visit`` is unique only within its *governor* (``instrument``; ``tract``
within ``skymap``): the units that require nothing and that other units require. When an
expression or data ID constrains such a key but not its governor, the governor is inferred if
the registry holds exactly one; otherwise the query is refused with a message naming the
values to choose from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import attrs

from ....domain.errors import QueryError
from ....domain.query import ResolvedExpression, prepare_where
from ....domain.remedies import Action, Remedy
from ....domain.universe import Universe
from ....domain.values import KeyValue, coerce_key
from .cache import bind_signature

INT64_LIMIT = 2**63
GovernorValues = Callable[[str], list[KeyValue]]
"""Returns up to a few key values of a governor unit held by the registry."""


@attrs.frozen
class Constraints:
    """A checked where expression plus equality constraints on DataUnit keys."""

    resolved: ResolvedExpression
    data_id: Mapping[str, KeyValue]
    units: tuple[str, ...]
    """Every DataUnit the expression or data ID mentions."""
    records: tuple[str, ...]
    """Elements whose records the expression reads."""
    key: Hashable | None = None
    """The expression text and the kinds of its bind values (what shapes the tree), or None."""
    spatial: Mapping[int, tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = attrs.field(factory=dict)
    """For each spatial OVERLAPS node (by id), its element and the keys of the records that match."""


def governors(universe: Universe) -> tuple[str, ...]:
    """The units that require nothing and that some other unit requires (instrument, skymap)."""
    required = {u for v in universe.units for u in universe.required(v.name) if u != v.name}
    return tuple(u.name for u in universe.units if not u.requires and u.name in required)


def prepare_constraints(universe: Universe, where: str, bind: Mapping[str, Any] | None,
                        data_id: Mapping[str, Any] | None, governor_values: GovernorValues, *,
                        units_in_scope: Iterable[str] | None = None) -> Constraints:
    """Parse, bind and resolve ``where``; normalise ``data_id``; infer missing governors."""
    if not isinstance(where, str):
        raise QueryError(f"where must be a string, not {type(where).__name__}")
    resolved = prepare_where(where, universe, bind, units_in_scope=units_in_scope)
    values = normalize_constraint(universe, data_id)
    mentioned = set(resolved.units) | set(values)
    keyed = [ref.unit_key for ref in resolved.columns.values() if ref.unit_key is not None
             and ref.unit_key == ref.element]
    keyed.extend(values)
    governor_units = set(governors(universe))
    for unit in universe.sort_names(keyed):
        for governor in universe.required(unit):
            if governor == unit or governor not in governor_units or governor in mentioned:
                continue
            values[governor] = _infer(governor, unit, governor_values(governor))
            mentioned.add(governor)
    signature = bind_signature(bind)
    key = None if signature is None else (where, signature)
    return Constraints(resolved, values, universe.sort_names(mentioned), resolved.elements, key)


def normalize_constraint(universe: Universe, data_id: Mapping[str, Any] | None) -> dict[str, KeyValue]:
    """``data_id`` with every key a DataUnit and every value of its key type."""
    if data_id is None:
        return {}
    if not isinstance(data_id, Mapping):
        raise QueryError(f"data_id must be a mapping from DataUnit names to values, not {type(data_id).__name__}")
    values: dict[str, KeyValue] = {}
    for name, value in data_id.items():
        unit = universe.unit(str(name))
        key = coerce_key(value, unit.key.type, f"data ID value {name!r}", unit.key.length)
        if isinstance(key, str) and not is_encodable(key):
            raise QueryError(f"data ID value {name!r} is not valid Unicode (it holds a lone surrogate code point)")
        if isinstance(key, int) and not -INT64_LIMIT <= key < INT64_LIMIT:
            raise QueryError(f"data ID value {name!r} = {key} does not fit in a signed 64-bit integer")
        values[unit.name] = key
    return values


def is_encodable(text: str) -> bool:
    """Whether ``text`` can be sent to a database (UTF-8 has no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _infer(governor: str, unit: str, found: list[KeyValue]) -> KeyValue:
    if len(found) == 1:
        return found[0]
    if not found:
        raise QueryError(f"{unit!r} values are identified within one {governor}, and this registry holds no "
                         f"{governor} records", remedy=Remedy(Action.INSERT_DATA_UNITS, governor))
    shown = ", ".join(repr(v) for v in found[:5]) + (", ..." if len(found) > 5 else "")
    raise QueryError(f"{unit!r} values are only unique within one {governor}, and this registry holds several "
                     f"({shown})", remedy=Remedy(Action.GIVE_GOVERNOR, governor, repr(found[0])))
