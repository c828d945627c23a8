"""The lineage command: what a Dataset was derived from (--up) or what used it (--down), as a table, JSON or
W3C PROV-JSON."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click

from .. import Butler
from ..domain.errors import CollectionError
from ..domain.lineage import Direction, Lineage
from ..domain.remedies import Action, Remedy
from ..ports.capabilities import RegistryCapability
from ..service.lineage_prov import prov_json_text
from .common import handle_errors, open_butler, parse_pairs
from .output import emit, plain
from .selection import searchable_collections

LINEAGE_FORMATS = ("table", "json", "prov")
COLUMNS = ("depth", "dataset_type", "run", "data_id", "id", "via")


@click.command("lineage")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("dataset_type")
@click.option("--data-id", "-d", "data_id", multiple=True, metavar="KEY=VALUE",
              help="The DataId of the Dataset (repeatable).")
@click.option("--collections", "-c", multiple=True,
              help="Collections searched for the Dataset, in order (default: every RUN and TAGGED collection; "
                   "then the DataId must match one Dataset only).")
@click.option("--up/--down", "up", default=True, show_default=True,
              help="Ancestors (what it was derived from) or descendants (everything that used it).")
@click.option("--depth", type=click.IntRange(min=0), default=None, help="At most this many quanta away (default: all).")
@click.option("--format", "-f", "output_format", type=click.Choice(LINEAGE_FORMATS), default="table",
              show_default=True, help="table for people; json, or prov (W3C PROV-JSON) for tools.")
@handle_errors
def lineage(*, repo: str, dataset_type: str, data_id: tuple[str, ...], collections: tuple[str, ...], up: bool,
            depth: int | None, output_format: str) -> None:
    """Print the lineage of one Dataset: its ancestors (--up) or descendants (--down), with the quanta between.

    Example: databutler lineage ./repo calexp -d instrument=Cam1 -d visit=1 -d detector=2 --down -f prov
    """
    with open_butler(repo) as butler:
        values = parse_pairs(data_id, "--data-id")
        search = searchable_collections(butler, collections)
        if not collections:
            _check_unique(butler, dataset_type, values, search)
        found = butler.lineage(dataset_type, values, direction=Direction.UP if up else Direction.DOWN, depth=depth,
                               collections=search)
    if output_format == "prov":
        click.echo(prov_json_text(found))
    elif output_format == "json":
        click.echo(json.dumps(lineage_document(found, depth), indent=2))
    else:
        way = "ancestors" if up else "descendants"
        emit(lineage_rows(found), COLUMNS, "table", title=f"{way} of {found.root_ref.dataset_type.name} "
             f"{dict(found.root_ref.data_id)} in {found.root_ref.run}")


def _check_unique(butler: Butler, dataset_type: str, data_id: dict[str, Any], search: list[str]) -> None:
    """Refuse a DataId that matches Datasets in several collections when none were named."""
    if RegistryCapability.QUERIES not in butler.registry.capabilities:
        return
    runs = sorted({ref.run for ref in butler.query_datasets(dataset_type, search, data_id=data_id)})
    if len(runs) > 1:
        raise CollectionError(f"{dataset_type!r} with data ID {data_id} is in several runs {runs}; name the one "
                              "to start from with --collections", remedy=Remedy(Action.PASS_COLLECTIONS))


def lineage_rows(found: Lineage) -> list[dict[str, Any]]:
    """One row per dataset, by depth: its type, run, DataId, id and the tasks linking it towards the root."""
    rows = []
    for dataset_id in sorted(found.dataset_ids, key=lambda i: (found.depths[i], _type_of(found, i), str(i))):
        ref = found.datasets.get(dataset_id)
        linked = found.consumers(dataset_id) if found.direction is Direction.UP else found.producers(dataset_id)
        rows.append({"depth": found.depths[dataset_id], "dataset_type": _type_of(found, dataset_id),
                     "run": "" if ref is None else ref.run,
                     "data_id": "" if ref is None else " ".join(f"{k}={v}" for k, v in ref.data_id.items()),
                     "id": dataset_id, "via": ", ".join(sorted({q.task for q in linked}))})
    return rows


def _type_of(found: Lineage, dataset_id: uuid.UUID) -> str:
    ref = found.datasets.get(dataset_id)
    return "(removed)" if ref is None else ref.dataset_type.name


def lineage_document(found: Lineage, depth: int | None) -> dict[str, Any]:
    """The lineage as one JSON object: root, direction, datasets (with depths) and quanta (with edges)."""
    return {
        "root": str(found.root), "direction": found.direction.value, "depth_limit": depth,
        "datasets": [{"id": str(row["id"]), "depth": row["depth"], "dataset_type": row["dataset_type"],
                      "run": row["run"] or None, "removed": row["id"] in found.removed,
                      "data_id": None if row["id"] in found.removed else plain(dict(found.datasets[row["id"]].data_id))}
                     for row in lineage_rows(found)],
        "quanta": [{"id": str(q.id), "task": q.task, "run": q.run, "status": q.status.value,
                    "data_id": None if q.data_id is None else plain(dict(q.data_id)), "host": q.host,
                    "started": plain(q.started), "ended": plain(q.ended),
                    "inputs": [str(i) for i in found.inputs.get(q.id, ())],
                    "outputs": [str(i) for i in found.outputs.get(q.id, ())]}
                   for q in sorted(found.quanta.values(), key=lambda q: (q.task, str(q.id)))],
    }


COMMANDS = (lineage,)
