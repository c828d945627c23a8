"""Registry-editing commands: register-dataset-type, remove-dataset-type, insert-data-units, update-data-units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from .. import DatasetType
from ..domain.errors import DataButlerError
from ..service.progress import in_batches
from .common import handle_errors, open_butler, parse_pairs, regions_from_text
from .progress import progress_bar
from .tables import dry_run, locate_failure, read_table

BATCH = 1000
"""Records inserted per registry call (and per progress-bar step)."""


@click.command("register-dataset-type")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("name")
@click.argument("storage_class")
@click.argument("units", nargs=-1, required=True)
@handle_errors
def register_dataset_type(repo: str, name: str, storage_class: str, units: tuple[str, ...]) -> None:
    """Register dataset type NAME of STORAGE_CLASS labelled by UNITS.

    Example: databutler register-dataset-type ./repo calexp StructuredData instrument visit detector
    """
    with open_butler(repo, writeable=True) as butler:
        new = butler.registry.register_dataset_type(DatasetType(name, units, storage_class))
        click.echo(f"registered dataset type {name!r}" if new else f"dataset type {name!r} already registered")


@click.command("remove-dataset-type")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("names", nargs=-1, required=True)
@handle_errors
def remove_dataset_type(repo: str, names: tuple[str, ...]) -> None:
    """Remove dataset types NAMES (refused while datasets of one exist).

    Example: databutler remove-dataset-type ./repo calexp_old
    """
    with open_butler(repo, writeable=True) as butler:
        for name in names:
            butler.registry.remove_dataset_type(name)
            click.echo(f"removed dataset type {name!r}")


@click.command("insert-data-units")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("element")
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-existing", is_flag=True, help="Skip records identical to ones already present.")
@handle_errors
def insert_data_units(repo: str, element: str, table: str, skip_existing: bool) -> None:
    """Insert records of DataUnit or join element ELEMENT from TABLE (CSV with a header, or YAML list).

    All records go in one transaction: a bad one leaves the registry unchanged.

    Example: databutler insert-data-units ./repo detector detectors.csv
    """
    rows = read_table(table, element)
    with open_butler(repo, writeable=True) as butler:
        registry = butler.registry
        records = regions_from_text(registry.universe, element, rows.rows)
        inserted = 0
        try:
            with registry.transaction(), progress_bar(f"inserting {element}") as progress:
                for part in in_batches(records, progress, BATCH):
                    inserted += registry.insert_data_units(element, part, skip_existing=skip_existing)
        except DataButlerError as err:
            def probe(part: Sequence[dict[str, Any]]) -> None:
                given = regions_from_text(registry.universe, element, list(part))
                dry_run(registry, lambda: registry.insert_data_units(element, given, skip_existing=skip_existing))

            raise locate_failure(rows, probe, err) from None
        click.echo(f"inserted {inserted} {element} records ({len(records) - inserted} already present)")


@click.command("update-data-units")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("element")
@click.argument("table", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--record", "-r", "given", multiple=True, metavar="FIELD=VALUE[,...]",
              help="One record to update: its key fields and the fields to set (repeatable).")
@handle_errors
def update_data_units(repo: str, element: str, table: str | None, given: tuple[str, ...]) -> None:
    """Set fields of existing records of ELEMENT, from TABLE (CSV or YAML) and/or --record.

    Each record names its key fields and the fields to set; other fields keep their values, and an
    empty CSV cell clears a field. Key fields never change. A record not in the registry is refused
    and nothing is updated (insert it with insert-data-units). See the fields with describe-data-unit.

    Example: databutler update-data-units ./repo instrument --record name=Cam1,detector_max=200
    """
    rows = read_table(table, element) if table else None
    records = (rows.rows if rows else []) + [parse_pairs([item], "--record") for item in given]
    if not records:
        raise click.UsageError("give a TABLE of records or at least one --record")
    with open_butler(repo, writeable=True) as butler:
        registry = butler.registry
        records = regions_from_text(registry.universe, element, records)
        try:
            changed = registry.update_data_units(element, records)
        except DataButlerError as err:
            if rows is None or given:
                raise
            def probe(part: Sequence[dict[str, Any]]) -> None:
                given = regions_from_text(registry.universe, element, list(part))
                dry_run(registry, lambda: registry.update_data_units(element, given))

            raise locate_failure(rows, probe, err) from None
        click.echo(f"updated {changed} {element} records ({len(records) - changed} already as given)")


COMMANDS = (register_dataset_type, remove_dataset_type, insert_data_units, update_data_units)
