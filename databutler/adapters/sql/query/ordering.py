"""Sort terms of ``order_by``: field names checked against the universe like where identifiers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ....domain.errors import QueryError
from ....domain.query import ColumnRef, Identifier, IsNull, prepare_where
from ....domain.universe import Universe
from ....domain.values import FieldType
from .expressions import column_of, timespan_of
from .plan import JoinPlan


@attrs.frozen
class SortTerm:
    """One ``order_by`` field: where its value is, and the direction."""

    text: str
    ref: ColumnRef
    descending: bool
    units: tuple[str, ...]
    records: tuple[str, ...]

    def clause(self, plan: JoinPlan) -> sa.ColumnElement[Any]:
        """The ORDER BY clause element over ``plan``."""
        timespan = self.ref.type is FieldType.TIMESPAN
        column = timespan_of(plan, self.ref)[0] if timespan else column_of(plan, self.ref)
        return column.desc() if self.descending else column.asc()


def sort_terms(universe: Universe, fields: Sequence[str], *, element: str | None = None,
               units_in_scope: Iterable[str] | None = None) -> list[SortTerm]:
    """Resolve ``fields`` (``-`` prefix: descending); a bare field name may name a field of ``element``."""
    terms = []
    for field in fields:
        descending = field.startswith("-")
        name = field[1:] if descending else field
        fields_of_element = () if element is None else universe.record_fields(element)
        if "." not in name and name not in universe and any(f.name == name for f in fields_of_element):
            name = f"{element}.{name}"
        resolved = prepare_where(f"{name} IS NULL", universe, units_in_scope=units_in_scope)
        node = resolved.node
        if not isinstance(node, IsNull) or not isinstance(node.operand, Identifier) or str(node.operand) != name:
            raise QueryError(f"cannot sort by {field!r}: name a DataUnit or a field, such as 'visit' or "
                             "'-visit.exposure_time'")
        ref = resolved.column(node.operand)
        if ref.type is FieldType.REGION:
            raise QueryError(f"cannot sort by {field!r}: regions have no order")
        terms.append(SortTerm(field, ref, descending, resolved.units, resolved.elements))
    return terms
