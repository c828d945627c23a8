"""Upgrading a repository's registry to this databutler's schema version, from its butler.yaml."""

from __future__ import annotations

import os

from ..domain.errors import ConfigError
from ..ports.migration import MigrationReport
from .loader import _config_path
from .repo_config import interpolate, read_config_file, validate


def migrate_repository(root: str, *, dry_run: bool = False) -> MigrationReport:
    """Upgrade the registry of the repository at ``root`` (``dry_run``: only report the steps)."""
    root, path = _config_path(root)
    if not os.path.exists(path):
        raise ConfigError(f"no repository at {root!r}: {path} does not exist")
    raw = read_config_file(path)
    validate(raw, path)
    options = interpolate(raw, root)["registry"]
    adapter = options["adapter"]
    if adapter == "sql":
        # Imported here, as the container does: SQLAlchemy and Alembic only for a repository that needs them.
        from ..adapters.sql import migrate_registry

        return migrate_registry(options, dry_run=dry_run)
    if adapter == "limited":
        return MigrationReport(f"the limited registry of {root}", None, None, dry_run=dry_run,
                               note="a limited registry keeps no SQL schema (its journals are replayed into a new "
                                    "in-memory registry each time it opens): nothing to migrate")
    raise ConfigError(f"databutler has no migrations for registry adapter {adapter!r} (repository {root!r}); "
                      "upgrade it with the tools of the package that provides that adapter")
