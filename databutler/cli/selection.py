"""Choosing datasets on the command line: types, collections and a where expression."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import Butler, DatasetRef
from ..domain.collection import CollectionKind
from .common import parse_binds, parse_pairs

F = TypeVar("F", bound=Callable[..., Any])


def dataset_selection(func: F) -> F:
    """Options choosing datasets: DATASET_TYPES arguments, --collections, --where, --bind, --data-id."""
    options = [
        click.argument("dataset_types", nargs=-1),
        click.option("--collections", "-c", multiple=True,
                     help="Collections to search (default: every RUN and TAGGED collection)."),
        click.option("--where", "-w", default="", help="A where expression choosing the datasets."),
        click.option("--bind", "-b", "binds", multiple=True, metavar="NAME=VALUE", help="Value of :NAME in --where."),
        click.option("--data-id", "-d", "data_id", multiple=True, metavar="UNIT=VALUE[,...]",
                     help="Constrain DataUnit values."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def select_refs(butler: Butler, dataset_types: tuple[str, ...], collections: tuple[str, ...], *, where: str,
                binds: tuple[str, ...], data_id: tuple[str, ...], find_first: bool = False) -> list[DatasetRef]:
    """The datasets the selection options name (each once)."""
    types = list(dataset_types) or [t.name for t in butler.registry.query_dataset_types()]
    search = searchable_collections(butler, collections)
    if not types or not search:
        return []
    results = butler.query_datasets(types, search, where=where, bind=parse_binds(binds),
                                    data_id=parse_pairs(data_id, "--data-id"), find_first=find_first)
    return list({ref.id: ref for ref in results}.values())


def searchable_collections(butler: Butler, collections: tuple[str, ...]) -> list[str]:
    """``collections``, or (when none are named) every RUN and TAGGED collection of the repository."""
    return list(collections) or [c.name for c in butler.registry.query_collections(
        kinds=[CollectionKind.RUN, CollectionKind.TAGGED])]
