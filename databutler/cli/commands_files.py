"""File commands: ingest-files, retrieve-artifacts, verify."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from typing import Any

import click

from .. import FileDataset
from ..domain.collection import CollectionKind
from ..domain.errors import DataButlerError, DatastoreError
from ..ports.datastore import TransferMode
from ..service.orphans import DEFAULT_AGE_S
from ..service.progress import in_batches
from .common import EXIT_ERROR, EXIT_NO_RESULTS, handle_errors, open_butler
from .orphans import check_orphans
from .output import emit, format_option
from .progress import progress_bar
from .selection import dataset_selection, select_refs
from .tables import InputFileError, dry_run, locate_failure, read_table

BATCH = 200
"""Datasets copied per registry round trip by retrieve-artifacts."""
NOT_DATA_ID = ("path", "formatter")
"""Columns of an ingest table that are not DataUnits."""


@click.command("ingest-files")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("dataset_type")
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.option("--run", "-r", required=True, help="The RUN collection the datasets go into (registered if new).")
@click.option("--transfer", "-t", type=click.Choice([m.value for m in TransferMode]), default="auto",
              show_default=True, help="How files come into the datastore.")
@handle_errors
def ingest_files(repo: str, dataset_type: str, table: str, run: str, transfer: str) -> None:
    """Ingest the files listed in TABLE (CSV or YAML: a 'path' column plus DataId columns) as DATASET_TYPE.

    Relative paths are relative to TABLE's directory. All files go in, or none do (and a new
    run is not left behind).

    Example: databutler ingest-files ./repo raw raws.csv --run Cam1/raw/all --transfer copy
    """
    rows = read_table(table)
    base = os.path.dirname(os.path.abspath(table))
    datasets = []
    for index, row in enumerate(rows.rows):
        path, formatter = row.get("path"), row.get("formatter")
        if not path:
            raise InputFileError(f"{rows.where(index)}: no 'path'")
        datasets.append(FileDataset(os.path.join(base, str(path)), dataset_type, _data_id(row),
                                    None if formatter is None else str(formatter)))
    with open_butler(repo, writeable=True) as butler, progress_bar(f"ingesting into {run}") as progress:
        try:
            refs = butler.ingest(datasets, transfer=transfer, run=run, progress=progress)
        except DataButlerError as err:
            def probe(part: Sequence[dict[str, Any]]) -> None:
                def write() -> None:
                    butler.registry.register_collection(run, CollectionKind.RUN)
                    butler.registry.insert_datasets(dataset_type, run, [_data_id(row) for row in part])
                dry_run(butler.registry, write)

            raise locate_failure(rows, probe, err) from None
    click.echo(f"ingested {len(refs)} files into run {run!r}")


def _data_id(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in NOT_DATA_ID}


@click.command("retrieve-artifacts")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("destination", type=click.Path(file_okay=False))
@dataset_selection
@click.option("--overwrite", is_flag=True, help="Replace files already at the destination.")
@handle_errors
def retrieve_artifacts(*, repo: str, destination: str, dataset_types: tuple[str, ...], collections: tuple[str, ...],
                       where: str, binds: tuple[str, ...], data_id: tuple[str, ...], overwrite: bool) -> None:
    """Copy the files of the chosen datasets to DESTINATION, keeping their paths inside the datastore.

    Example: databutler retrieve-artifacts ./repo ./out calexp -c run1 --where "visit = 3" -d instrument=Cam1
    """
    with open_butler(repo) as butler:
        refs = select_refs(butler, dataset_types, collections, where=where, binds=binds, data_id=data_id,
                           find_first=True)
        if not refs:
            click.echo("no datasets matched", err=True)
            raise SystemExit(EXIT_NO_RESULTS)
        copied = 0
        with progress_bar("retrieving") as progress:
            for part in in_batches(refs, progress, BATCH):
                artifacts = butler.registry.get_artifacts([r.id for r in part])
                for ref in part:
                    for artifact in artifacts.get(ref.id, []):
                        target = os.path.join(destination, _relative(artifact.uri, ref.run))
                        copied += _copy(butler.datastore.uri(artifact), target, overwrite)
    click.echo(f"retrieved {copied} files to {destination}")


def _relative(uri: str, run: str) -> str:
    """Where an artifact goes below the destination: its datastore path, or run/basename for a URL."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme or os.path.isabs(uri):
        return os.path.join(run, os.path.basename(parsed.path or uri))
    parts = [p for p in uri.split("/") if p not in ("", ".", "..")]
    return os.path.join(*parts)


def _copy(source: str, target: str, overwrite: bool) -> int:
    if os.path.exists(target) and not overwrite:
        raise DatastoreError(f"{target} exists; pass --overwrite to replace it")
    import fsspec  # only this command needs it; keep the CLI's start-up light

    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    try:
        with fsspec.open(source, "rb") as reader, open(target, "wb") as writer:
            while chunk := reader.read(1 << 20):
                writer.write(chunk)
    except OSError as err:
        raise DatastoreError(f"cannot copy {source} to {target}: {err}") from None
    return 1


@click.command("verify")
@click.argument("repo", type=click.Path(exists=True))
@dataset_selection
@click.option("--orphans", is_flag=True,
              help="Instead of datasets, look for orphan files: files in the datastore no dataset points at.")
@click.option("--remove-orphans", is_flag=True, help="Delete the orphan files found (implies --orphans).")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Orphans must be at least this old, so files of puts in progress are left alone "
                   f"[default: {DEFAULT_AGE_S:g}].")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before deleting orphans.")
@format_option
@handle_errors
def verify(*, repo: str, dataset_types: tuple[str, ...], collections: tuple[str, ...], where: str,
           binds: tuple[str, ...], data_id: tuple[str, ...], orphans: bool, remove_orphans: bool,
           older_than: float | None, yes: bool, output_format: str) -> None:
    """Check that every chosen dataset has its files, with the recorded checksums and sizes.

    Prints one row per problem and exits 1 if there is any; exits 3 if nothing was chosen.
    With --orphans, lists the datastore's files that no dataset points at (left by crashes or
    failed deletions) and exits 1 if there is any; --remove-orphans deletes them.

    Example: databutler verify ./repo -c run1; databutler verify ./repo --orphans --older-than 86400
    """
    if orphans or remove_orphans:
        if dataset_types or collections or where or binds or data_id:
            raise click.UsageError("--orphans looks at the whole datastore; it takes no dataset selection")
        check_orphans(repo, older_than=DEFAULT_AGE_S if older_than is None else older_than,
                      remove=remove_orphans, yes=yes, output_format=output_format)
        return
    if older_than is not None or yes:
        raise click.UsageError("--older-than and --yes go with --orphans or --remove-orphans")
    with open_butler(repo) as butler:
        refs = select_refs(butler, dataset_types, collections, where=where, binds=binds, data_id=data_id)
        if not refs:
            click.echo("no datasets matched", err=True)
            raise SystemExit(EXIT_NO_RESULTS)
        with progress_bar("verifying") as progress:
            found = butler.verify(refs, progress=progress)
        problems = [{"id": ref.id, "dataset_type": ref.dataset_type.name, "run": ref.run, "problem": found[ref.id]}
                    for ref in refs if ref.id in found]
        if problems:
            emit(problems, ["id", "dataset_type", "run", "problem"], output_format, exit_when_empty=False)
            click.echo(f"{len(problems)} of {len(refs)} datasets have problems", err=True)
            raise SystemExit(EXIT_ERROR)
    click.echo(f"verified {len(refs)} datasets: every file is present and intact")


COMMANDS = (ingest_files, retrieve_artifacts, verify)
