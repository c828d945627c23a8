"""What upgrading a repository's registry to this databutler's schema did (or, in a dry run, would do)."""

from __future__ import annotations

import attrs


@attrs.frozen
class MigrationReport:
    """The schema versions before and after a migration and the steps between them.

    ``from_version`` and ``to_version`` are None for a registry that keeps no versioned schema
    (then ``note`` says why there is nothing to migrate).
    """

    registry: str
    from_version: str | None
    to_version: str | None
    steps: tuple[str, ...] = ()
    dry_run: bool = False
    note: str = ""

    @property
    def changed(self) -> bool:
        """Whether the migration changed (or, in a dry run, would change) the registry."""
        return bool(self.steps)
