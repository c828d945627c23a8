"""``databutler migrate``: upgrade a repository's registry to this databutler's schema version."""

from __future__ import annotations

import click

from ..config.migrate import migrate_repository
from .common import handle_errors


@click.command("migrate")
@click.argument("repo", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Print the steps and change nothing.")
@handle_errors
def migrate(repo: str, dry_run: bool) -> None:
    """Upgrade the registry of REPO to the schema version this databutler reads.

    All steps run in one transaction: if one fails, the registry is left as it was. Run it while
    nobody else uses the repository, after a backup.

    Example: databutler migrate ./repo --dry-run
    """
    report = migrate_repository(repo, dry_run=dry_run)
    if report.from_version is None:
        click.echo(f"{report.registry}: {report.note}")
        return
    versions = f"schema version {report.from_version} -> {report.to_version}"
    if not report.changed:
        click.echo(f"{report.registry} is at schema version {report.to_version}: nothing to migrate")
        return
    click.echo(f"{report.registry}: {versions}" + (" (dry run: nothing changed)" if dry_run else ""))
    for step in report.steps:
        click.echo(f"  {'would apply' if dry_run else 'applied'} {step}")


COMMANDS = (migrate,)
