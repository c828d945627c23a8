"""Moving data between repositories: export, import and transfer-datasets."""

from __future__ import annotations

import click

from ..ports.datastore import TransferMode
from .common import handle_errors, open_butler
from .progress import progress_bar
from .selection import select_refs

_TYPES = click.option("--dataset-type", "-t", "dataset_types", multiple=True,
                      help="Dataset types to take (default: all).")
_COLLECTIONS = click.option("--collections", "-c", multiple=True,
                            help="Collections to take datasets from (default: every RUN and TAGGED collection).")
_WHERE = click.option("--where", "-w", default="", help="A where expression choosing the datasets.")


@click.command("export")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("file", type=click.Path(dir_okay=False))
@_TYPES
@_COLLECTIONS
@_WHERE
@click.option("--transfer", type=click.Choice(["copy"]), default=None,
              help="Copy the files beside the export (default: the file records each file's URI).")
@click.option("--directory", type=click.Path(file_okay=False), default=None,
              help="Where --transfer copy puts the files (default: FILE's directory).")
@click.option("--no-data-units", is_flag=True, help="Leave the DataUnit records out.")
@handle_errors
def export(*, repo: str, file: str, dataset_types: tuple[str, ...], collections: tuple[str, ...], where: str,
           transfer: str | None, directory: str | None, no_data_units: bool) -> None:
    """Write datasets of REPO, their DataUnit records and collections to the export YAML FILE.

    The file is the reference system's export format: lsst-daf-butler imports it too. The
    collections named (chains with their children, TAGGED with their associations) are written;
    without --collections, every collection is.

    Example: databutler export ./repo export.yaml -c u/alice/run1 -t calexp --transfer copy --directory out/
    """
    with open_butler(repo) as butler:
        refs = select_refs(butler, dataset_types, collections, where=where, binds=(), data_id=())
        named = list(collections) or [c.name for c in butler.registry.query_collections()]
        count = butler.export(file, refs, collections=named, transfer=transfer, directory=directory,
                              data_units=not no_data_units)
    click.echo(f"exported {count} datasets to {file}")


@click.command("import")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--transfer", type=click.Choice([m.value for m in TransferMode]), default="auto", show_default=True,
              help="How the files come into the datastore.")
@click.option("--directory", type=click.Path(file_okay=False), default=None,
              help="Where relative file paths start (default: FILE's directory).")
@click.option("--without-datastore", is_flag=True, help="Import the registry content only, no files.")
@handle_errors
def import_(repo: str, file: str, transfer: str, directory: str | None, without_datastore: bool) -> None:
    """Import the export YAML FILE (lsst-daf-butler's or databutler's) into REPO, all or nothing.

    Example: databutler import ./repo export.yaml --transfer copy
    """
    with open_butler(repo, writeable=True) as butler:
        refs = butler.import_(file, transfer=transfer, directory=directory, without_datastore=without_datastore)
    click.echo(f"imported {len(refs)} datasets from {file}")


@click.command("transfer-datasets")
@click.argument("source", type=click.Path(exists=True))
@click.argument("target", type=click.Path(exists=True))
@_TYPES
@_COLLECTIONS
@_WHERE
@click.option("--transfer", type=click.Choice(["copy", "auto"]), default="copy", show_default=True,
              help="How the files are brought over (their bytes are copied).")
@handle_errors
def transfer_datasets(*, source: str, target: str, dataset_types: tuple[str, ...], collections: tuple[str, ...],
                      where: str, transfer: str) -> None:
    """Copy datasets of SOURCE, with their records and files, into TARGET; ids and checksums are kept.

    Example: databutler transfer-datasets ./repo1 ./repo2 -t calexp -c u/alice/run1
    """
    with open_butler(source) as from_butler, open_butler(target, writeable=True) as to_butler:
        refs = select_refs(from_butler, dataset_types, collections, where=where, binds=(), data_id=())
        with progress_bar("transferring") as progress:
            done = to_butler.transfer_from(from_butler, refs, transfer=transfer, progress=progress)
    click.echo(f"transferred {len(done)} datasets from {source} to {target}")


COMMANDS = (export, import_, transfer_datasets)
