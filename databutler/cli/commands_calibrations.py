"""Calibration commands: certify-calibrations, decertify, export-calibs (modelled on the reference's butler CLI)."""

from __future__ import annotations

import datetime
import os

import click

from ..domain.calibration import show_timespan
from ..domain.collection import CollectionKind
from ..domain.errors import CollectionError, DatasetNotFoundError, ExportFormatError
from ..domain.values import Timespan
from ..service.interchange.times import parse_tai_iso
from .common import handle_errors, open_butler, parse_pairs
from .output import emit, format_option

_BEGIN = click.option("--begin-date", default=None,
                      help="ISO-8601 time (TAI, as the reference's CLI) the validity range begins (default: open).")
_END = click.option("--end-date", default=None,
                    help="ISO-8601 time (TAI) the validity range ends, excluded (default: unbounded).")


def _time(text: str | None, option: str) -> datetime.datetime | None:
    if text is None:
        return None
    if len(text.strip()) == len("2024-01-01"):  # a date alone: its midnight
        text = f"{text.strip()}T00:00:00"
    try:
        return parse_tai_iso(text)
    except ExportFormatError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 time such as 2024-01-01T00:00:00",
                                 param_hint=option) from None


def _timespan(begin: str | None, end: str | None) -> Timespan:
    return Timespan(_time(begin, "--begin-date"), _time(end, "--end-date"))


@click.command("certify-calibrations")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("input_collection")
@click.argument("output_collection")
@click.argument("dataset_type")
@_BEGIN
@_END
@click.option("--search-all-inputs", is_flag=True,
              help="Take datasets from every child of a CHAINED INPUT_COLLECTION, not only its first.")
@handle_errors
def certify_calibrations(*, repo: str, input_collection: str, output_collection: str, dataset_type: str,
                         begin_date: str | None, end_date: str | None, search_all_inputs: bool) -> None:
    """Certify every DATASET_TYPE dataset of INPUT_COLLECTION into CALIBRATION OUTPUT_COLLECTION (made if new).

    Example: databutler certify-calibrations ./repo Cam1/calib/run1 Cam1/calib bias --begin-date 2024-01-01
    """
    timespan = _timespan(begin_date, end_date)
    with open_butler(repo, writeable=True) as butler:
        registry = butler.registry
        source = registry.get_collection(input_collection)
        if source.kind is CollectionKind.CALIBRATION:
            raise CollectionError(f"input collection {input_collection!r} is a CALIBRATION collection; certify from "
                                  "the RUN (or chain) that holds the datasets")
        if source.kind is CollectionKind.CHAINED and not search_all_inputs and source.children:
            input_collection = source.children[0]
        refs = list(registry.query_datasets(dataset_type, [input_collection]))
        if not refs:
            raise DatasetNotFoundError(f"no {dataset_type!r} datasets in {input_collection!r} to certify")
        with registry.transaction():  # a refused certify leaves no new collection behind
            registry.register_collection(output_collection, CollectionKind.CALIBRATION)
            registry.certify(output_collection, refs, timespan)
    click.echo(f"certified {len(refs)} {dataset_type} datasets from {input_collection} into {output_collection} "
               f"for {show_timespan(timespan)} (UTC)")


@click.command("decertify")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("collection")
@click.argument("dataset_type")
@_BEGIN
@_END
@click.option("--data-id", "-d", "data_id", multiple=True,
              help="KEY=VALUE of the one DataId to decertify (default: every DataId).")
@handle_errors
def decertify(*, repo: str, collection: str, dataset_type: str, begin_date: str | None, end_date: str | None,
              data_id: tuple[str, ...]) -> None:
    """Clear a time range of DATASET_TYPE in CALIBRATION COLLECTION: ranges inside go, overlapping ones are cut.

    Example: databutler decertify ./repo Cam1/calib bias --begin-date 2024-01-04 --end-date 2024-01-05 -d detector=1
    """
    timespan = _timespan(begin_date, end_date)
    chosen = parse_pairs(data_id, "--data-id")
    with open_butler(repo, writeable=True) as butler:
        butler.registry.decertify(collection, dataset_type, timespan, data_ids=[chosen] if chosen else None)
    click.echo(f"decertified {dataset_type} in {collection} for {show_timespan(timespan)} (UTC)")


@click.command("export-calibs")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("directory", type=click.Path(file_okay=False))
@click.argument("collections", nargs=-1)
@click.option("--dataset-type", "-t", "dataset_types", multiple=True,
              help="Calibration dataset types to export (default: all).")
@click.option("--transfer", type=click.Choice(["copy"]), default="copy", show_default=True,
              help="How the files are put in DIRECTORY.")
@format_option
@handle_errors
def export_calibs(*, repo: str, directory: str, collections: tuple[str, ...], dataset_types: tuple[str, ...],
                  transfer: str, output_format: str) -> None:
    """Export the CALIBRATION collections (and chains of them) COLLECTIONS of REPO to DIRECTORY/export.yaml.

    Default: every CALIBRATION and CHAINED collection. DIRECTORY must not exist yet. Lists what was exported.

    Example: databutler export-calibs ./repo calibs-out Cam1/calib -t bias -t flat
    """
    if os.path.exists(directory):
        raise click.BadParameter(f"export directory {directory} exists; give a new one", param_hint="DIRECTORY")
    with open_butler(repo) as butler:
        registry = butler.registry
        kinds = [CollectionKind.CALIBRATION, CollectionKind.CHAINED]
        chosen = [c.name for c in registry.query_collections(kinds=kinds)] if not collections else list(collections)
        types = {t.name for t in registry.query_dataset_types() if t.is_calibration and
                 (not dataset_types or t.name in dataset_types)}
        calibrations = [name for name in registry.resolve_collections(chosen)
                        if registry.get_collection(name).kind is CollectionKind.CALIBRATION]
        refs = {ref.id: ref for name in calibrations for t in sorted(types)
                for ref in registry.datasets_in_collection(name, t)}
        ordered = sorted(refs.values(), key=lambda r: (r.dataset_type.name, r.data_id.key()))
        os.makedirs(directory)
        butler.export(os.path.join(directory, "export.yaml"), ordered, collections=chosen, transfer=transfer,
                      directory=directory)
        units = registry.universe.sort_names(u for ref in ordered for u in ref.data_id)
        rows = [{"calibrationType": r.dataset_type.name, "run": r.run, **dict(r.data_id)} for r in ordered]
    emit(rows, ["calibrationType", "run", *units], output_format, exit_when_empty=False)


COMMANDS = (certify_calibrations, decertify, export_calibs)
