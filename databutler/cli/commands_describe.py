"""describe-data-unit: what a repository's universe says about its DataUnits and their fields."""

from __future__ import annotations

from typing import Any

import click

from ..domain.universe import DataUnitType, Element, Universe
from .common import handle_errors, open_butler
from .output import emit, format_option

ELEMENT_COLUMNS = ("element", "kind", "key", "requires", "implies", "doc")
FIELD_COLUMNS = ("field", "role", "type", "nullable", "where", "doc")


def element_row(universe: Universe, element: Element) -> dict[str, Any]:
    """One line about ``element``: its kind, key fields and the units it needs."""
    row = {"element": element.name, "key": ", ".join(universe.key_fields(element.name)), "doc": element.doc}
    if isinstance(element, DataUnitType):
        return {**row, "kind": "DataUnit", "requires": ", ".join(element.requires),
                "implies": ", ".join(element.implies)}
    return {**row, "kind": "join element", "requires": ", ".join(element.joins), "implies": ""}


def field_rows(universe: Universe, element: Element) -> list[dict[str, Any]]:
    """One line per record field of ``element``: its role, type, whether it may be empty, how to query it."""
    keys = universe.key_fields(element.name)
    implies = element.implies if isinstance(element, DataUnitType) else ()
    own_key = element.key.name if isinstance(element, DataUnitType) else None
    rows = []
    for spec in universe.record_fields(element.name):
        if spec.name == own_key:
            role = "key"
        elif spec.name in keys:
            role = "required unit" if isinstance(element, DataUnitType) else "joined unit"
        elif spec.name in implies:
            role = "implied unit"
        else:
            role = "metadata"
        kind = spec.type.value + (f"({spec.length})" if spec.length is not None else "")
        rows.append({"field": spec.name, "role": role, "type": kind, "nullable": "yes" if spec.nullable else "no",
                     "where": f"{element.name}.{spec.name}", "doc": spec.doc})
    return rows


@click.command("describe-data-unit")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("name", required=False)
@format_option
@handle_errors
def describe_data_unit(repo: str, name: str | None, output_format: str) -> None:
    """List the DataUnits and join elements of REPO's universe, or the fields of NAME.

    For NAME: each field's role (key, required or implied unit, metadata), type, whether it may be
    empty, and how a where expression names it.

    Example: databutler describe-data-unit ./repo visit
    """
    with open_butler(repo) as butler:
        universe = butler.registry.universe
    if name is None:
        emit((element_row(universe, e) for e in universe.elements), ELEMENT_COLUMNS, output_format,
             title=f"universe {universe.namespace!r}")
        return
    element = universe.element(name)
    row = element_row(universe, element)
    title = f"{row['kind']} {name!r}: key ({row['key']})"
    if row["requires"]:
        title += f"; {'requires' if isinstance(element, DataUnitType) else 'joins'} {row['requires']}"
    if row["implies"]:
        title += f"; implies {row['implies']}"
    emit(field_rows(universe, element), FIELD_COLUMNS, output_format, title=title)


COMMANDS = (describe_data_unit,)
