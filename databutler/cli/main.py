"""The ``databutler`` command line: a driving adapter that builds a Butler from configuration."""

from __future__ import annotations

import os
import tempfile

import click
import yaml

from .. import Butler
from ..config.loader import ConfigRepositoryLoader
from ..config.repo_config import CONFIG_FILE, read_config_file, redact
from . import (
    commands_calibrations,
    commands_collections,
    commands_describe,
    commands_files,
    commands_interchange,
    commands_lineage,
    commands_migrate,
    commands_pipeline,
    commands_query,
    commands_registry,
)
from .common import handle_errors
from .demo import run_demo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="databutler")
def cli() -> None:
    """databutler: store, find, read and write Datasets labelled by DataUnits."""


@cli.command()
@click.argument("repo", type=click.Path())
@click.option("--config", "-c", "config", type=click.Path(exists=True, dir_okay=False),
              help="YAML file whose sections override the embedded default (SQLite + local files).")
@handle_errors
def create(repo: str, config: str | None) -> None:
    """Create a new repository at REPO.

    Example: databutler create ./repo --config prod.yaml
    """
    butler = Butler.create(repo, config)
    butler.close()
    click.echo(f"created repository {os.path.abspath(repo)}")


@cli.command()
@click.argument("repo", type=click.Path(), required=False)
@click.option("--config", "-c", "config", type=click.Path(exists=True, dir_okay=False),
              help="YAML file whose sections override the embedded default, e.g. a cache over S3.")
@handle_errors
def demo(repo: str | None, config: str | None) -> None:
    """Run a small demo job on a new repository (default: a fresh temporary directory).

    Example: databutler demo ./demo-repo --config s3-cached.yaml
    """
    root = repo or os.path.join(tempfile.mkdtemp(prefix="databutler-demo-"), "repo")
    butler = run_demo(root, click.echo, config)
    butler.close()
    click.echo(f"demo finished; repository left at {root}")


@cli.command("config-dump")
@click.argument("repo", type=click.Path(exists=True))
@handle_errors
def config_dump(repo: str) -> None:
    """Print the repository's butler.yaml with secrets masked.

    Example: databutler config-dump ./repo
    """
    path = repo if os.path.isfile(repo) else os.path.join(repo, CONFIG_FILE)
    click.echo(yaml.safe_dump(redact(read_config_file(path)), sort_keys=False), nl=False)


@cli.command("config-validate")
@click.argument("repo", type=click.Path(exists=True))
@handle_errors
def config_validate(repo: str) -> None:
    """Check that the repository's configuration builds its registry and datastore.

    Example: databutler config-validate ./repo
    """
    built = ConfigRepositoryLoader().open(repo, writeable=False)
    click.echo(f"ok: registry {type(built.registry).__name__}, datastore {type(built.datastore).__name__}")
    built.registry.close()
    built.datastore.close()


for _command in (*commands_registry.COMMANDS, *commands_query.COMMANDS, *commands_collections.COMMANDS,
                 *commands_files.COMMANDS, *commands_describe.COMMANDS, *commands_migrate.COMMANDS,
                 *commands_pipeline.COMMANDS, *commands_lineage.COMMANDS, *commands_interchange.COMMANDS,
                 *commands_calibrations.COMMANDS):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``databutler`` console script."""
    cli()
