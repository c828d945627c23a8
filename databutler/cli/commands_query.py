"""Query commands: query-data-units, query-data-ids, query-datasets, query-collections,
query-dataset-types and select-sql."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import click

from .. import Butler
from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..ports.query_results import QueryResults
from .common import handle_errors, open_butler, parse_binds, parse_pairs, where_options
from .output import emit, format_option
from .selection import searchable_collections


def shaped(results: QueryResults[Any], order_by: tuple[str, ...], limit: int | None) -> QueryResults[Any]:
    """``results`` sorted and limited as the options say."""
    if order_by:
        results = results.order_by(*order_by)
    return results if limit is None else results.limit(limit)


URI_BATCH = 1000
"""Datasets whose URIs are looked up per registry round trip by --show-uri."""


def dataset_rows(refs: Iterable[DatasetRef], butler: Butler | None = None) -> Iterator[dict[str, Any]]:
    """One flat row per dataset: type, run, id and its DataId values (and its URI, given ``butler``)."""
    stream = iter(refs)
    while batch := list(itertools.islice(stream, URI_BATCH)):
        uris = butler.uris(batch) if butler is not None else None
        for ref in batch:
            row: dict[str, Any] = {"dataset_type": ref.dataset_type.name, "run": ref.run, "id": ref.id}
            row.update(ref.data_id.full)
            if uris is not None:
                row["uri"] = uris.get(ref.id, "")
            yield row


@click.command("query-data-units")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("element")
@where_options
@format_option
@handle_errors
def query_data_units(*, repo: str, element: str, where: str, binds: tuple[str, ...], data_id: tuple[str, ...],
                     order_by: tuple[str, ...], limit: int | None, output_format: str) -> None:
    """Print the records of DataUnit or join element ELEMENT that match the query.

    Example: databutler query-data-units ./repo visit --where "visit.exposure_time > 20" -d instrument=Cam1
    """
    with open_butler(repo) as butler:
        results = butler.query_data_unit_records(element, where=where, bind=parse_binds(binds),
                                                 data_id=parse_pairs(data_id, "--data-id"))
        results = shaped(results, order_by, limit)
        emit(results, results.columns, output_format, title=element)


@click.command("query-data-ids")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("units", nargs=-1, required=True)
@where_options
@click.option("--datasets", "datasets", multiple=True, help="Only DataIds with a dataset of this type (repeatable).")
@click.option("--collections", "-c", multiple=True,
              help="Collections searched for --datasets (default: every RUN and TAGGED collection).")
@format_option
@handle_errors
def query_data_ids(*, repo: str, units: tuple[str, ...], where: str, binds: tuple[str, ...], data_id: tuple[str, ...],
                   order_by: tuple[str, ...], limit: int | None, datasets: tuple[str, ...],
                   collections: tuple[str, ...], output_format: str) -> None:
    """Print the distinct DataIds of UNITS related through the universe (joins follow it).

    Example: databutler query-data-ids ./repo visit patch --where "tract = 9813"
    """
    with open_butler(repo) as butler:
        results = butler.query_data_ids(
            units, where=where, bind=parse_binds(binds), data_id=parse_pairs(data_id, "--data-id"),
            datasets=list(datasets) or None,
            collections=searchable_collections(butler, collections) if datasets else list(collections) or None)
        results = shaped(results, order_by, limit)
        emit((dict(d) for d in results), results.columns, output_format)


@click.command("query-datasets")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("dataset_types", nargs=-1)
@click.option("--collections", "-c", multiple=True,
              help="Collections to search, in order (default: every RUN and TAGGED collection).")
@where_options
@click.option("--find-first", is_flag=True, help="Per DataId, only the dataset found first in --collections.")
@click.option("--show-uri", is_flag=True, help="Add a column with each dataset's URI.")
@format_option
@handle_errors
def query_datasets(*, repo: str, dataset_types: tuple[str, ...], collections: tuple[str, ...], where: str,
                   binds: tuple[str, ...], data_id: tuple[str, ...], order_by: tuple[str, ...], limit: int | None,
                   find_first: bool, show_uri: bool, output_format: str) -> None:
    """Print the datasets of DATASET_TYPES (default: all) in the collections that match the query.

    Example: databutler query-datasets ./repo calexp -c run1 --where "visit = :v AND detector IN (1..4)" -b v=3
    """
    with open_butler(repo) as butler:
        registry = butler.registry
        types = list(dataset_types) or [t.name for t in registry.query_dataset_types()]
        search = searchable_collections(butler, collections)
        if not types or not search:
            emit([], ["dataset_type", "run", "id"], output_format)
        results = shaped(butler.query_datasets(types, search, where=where, bind=parse_binds(binds),
                                               data_id=parse_pairs(data_id, "--data-id"), find_first=find_first),
                         order_by, limit)
        units = sorted({u for name in types for u in registry.get_dataset_type(name).units},
                       key=[x.name for x in registry.universe.units].index)
        columns = ["dataset_type", "run", "id", *units] + (["uri"] if show_uri else [])
        emit(dataset_rows(results, butler if show_uri else None), columns, output_format)


@click.command("query-collections")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("pattern", required=False)
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in CollectionKind],
                                                                   case_sensitive=False), help="Only these kinds.")
@format_option
@handle_errors
def query_collections(repo: str, pattern: str | None, kinds: tuple[str, ...], output_format: str) -> None:
    """Print the collections whose names match glob PATTERN.

    Example: databutler query-collections ./repo "u/alice/*" --kind RUN
    """
    with open_butler(repo) as butler:
        found = butler.registry.query_collections(pattern, [CollectionKind(k.upper()) for k in kinds] or None)
        emit(({"name": c.name, "kind": c.kind.value, "children": ", ".join(c.children), "doc": c.doc} for c in found),
             ["name", "kind", "children", "doc"], output_format)


@click.command("query-dataset-types")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("pattern", required=False)
@format_option
@handle_errors
def query_dataset_types(repo: str, pattern: str | None, output_format: str) -> None:
    """Print the registered dataset types whose names match glob PATTERN.

    Example: databutler query-dataset-types ./repo "calexp*" --format json
    """
    with open_butler(repo) as butler:
        found = butler.registry.query_dataset_types(pattern)
        emit(({"name": t.name, "units": ", ".join(t.units), "storage_class": t.storage_class} for t in found),
             ["name", "units", "storage_class"], output_format)


@click.command("select-sql")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("sql")
@click.option("--bind", "-b", "binds", multiple=True, metavar="NAME=VALUE", help="Value of :NAME in SQL.")
@format_option
@handle_errors
def select_sql(repo: str, sql: str, binds: tuple[str, ...], output_format: str) -> None:
    """Run one read-only SQL SELECT over the registry's views (v_dataset, v_collection, v_visit, ...).

    Example: databutler select-sql ./repo "SELECT run, count(*) AS n FROM v_dataset GROUP BY run"
    """
    with open_butler(repo) as butler:
        results = butler.registry.select_sql(sql, parse_binds(binds) or None)
        emit(results, results.columns, output_format)


COMMANDS = (query_data_units, query_data_ids, query_datasets, query_collections, query_dataset_types, select_sql)
