"""Collection commands: collection-chain, associate, prune-datasets, remove-runs, remove-collections."""

from __future__ import annotations

import click

from ..domain.collection import CollectionKind
from .common import EXIT_NO_RESULTS, handle_errors, open_butler
from .progress import progress_bar
from .selection import dataset_selection, select_refs


@click.command("collection-chain")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("name")
@click.argument("children", nargs=-1)
@click.option("--doc", default="", help="Documentation of a new chain.")
@handle_errors
def collection_chain(repo: str, name: str, children: tuple[str, ...], doc: str) -> None:
    """Create or redefine CHAINED collection NAME as the ordered search path CHILDREN.

    Example: databutler collection-chain ./repo u/alice/defaults u/alice/run2 u/alice/run1 release/dr1
    """
    with open_butler(repo, writeable=True) as butler:
        butler.define_chain(name, children, doc)
        click.echo(f"chain {name!r} = [{', '.join(children)}]")


@click.command("associate")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("tagged")
@dataset_selection
@handle_errors
def associate(*, repo: str, tagged: str, dataset_types: tuple[str, ...], collections: tuple[str, ...], where: str,
              binds: tuple[str, ...], data_id: tuple[str, ...]) -> None:
    """Add the chosen datasets to TAGGED collection TAGGED (registered if new).

    Example: databutler associate ./repo best calexp -c run1 --where "visit IN (1..4)" -d instrument=Cam1
    """
    with open_butler(repo, writeable=True) as butler:
        refs = select_refs(butler, dataset_types, collections, where=where, binds=binds, data_id=data_id,
                           find_first=True)
        if not refs:
            click.echo("no datasets matched", err=True)
            raise SystemExit(EXIT_NO_RESULTS)
        with butler.registry.transaction():
            butler.register_collection(tagged, CollectionKind.TAGGED)
            butler.associate(tagged, refs)
        click.echo(f"associated {len(refs)} datasets with {tagged!r}")


@click.command("prune-datasets")
@click.argument("repo", type=click.Path(exists=True))
@dataset_selection
@click.option("--unstore/--keep-artifacts", default=True, show_default=True,
              help="Delete the datasets' files too.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def prune_datasets(*, repo: str, dataset_types: tuple[str, ...], collections: tuple[str, ...], where: str,
                   binds: tuple[str, ...], data_id: tuple[str, ...], unstore: bool, dry_run: bool, yes: bool) -> None:
    """Remove the chosen datasets from the registry (and their files, unless --keep-artifacts).

    Example: databutler prune-datasets ./repo calexp -c run1 --where "visit = 3" -d instrument=Cam1 --yes
    """
    with open_butler(repo, writeable=True) as butler:
        refs = select_refs(butler, dataset_types, collections, where=where, binds=binds, data_id=data_id)
        if not refs:
            click.echo("no datasets matched", err=True)
            raise SystemExit(EXIT_NO_RESULTS)
        if dry_run:
            click.echo(f"would remove {len(refs)} datasets")
            return
        if not yes:
            click.confirm(f"remove {len(refs)} datasets?", abort=True)
        with progress_bar("removing") as progress:
            butler.remove(refs, unstore=unstore, forget=True, progress=progress)
        click.echo(f"removed {len(refs)} datasets")


@click.command("remove-runs")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("runs", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def remove_runs(repo: str, runs: tuple[str, ...], yes: bool) -> None:
    """Remove RUN collections with every dataset in them and their files (all or nothing).

    Example: databutler remove-runs ./repo u/alice/scratch --yes
    """
    with open_butler(repo, writeable=True) as butler:
        if not yes:
            count = sum(len(butler.registry.datasets_in_collection(run)) for run in runs)
            click.confirm(f"remove {len(runs)} runs holding {count} datasets?", abort=True)
        with progress_bar("removing") as progress:
            butler.remove_runs(runs, progress=progress)
        click.echo(f"removed runs {', '.join(runs)}")


@click.command("remove-collections")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("names", nargs=-1, required=True)
@handle_errors
def remove_collections(repo: str, names: tuple[str, ...]) -> None:
    """Remove TAGGED or CHAINED collections (their datasets stay; RUNs go with remove-runs).

    Example: databutler remove-collections ./repo best u/alice/defaults
    """
    with open_butler(repo, writeable=True) as butler, butler.registry.transaction():
        for name in names:
            butler.remove_collection(name)
    click.echo(f"removed collections {', '.join(names)}")


COMMANDS = (collection_chain, associate, prune_datasets, remove_runs, remove_collections)
