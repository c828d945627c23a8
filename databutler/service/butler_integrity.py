"""The Butler's integrity checks: artifacts against their checksums, and files no row points at."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from ..domain.arguments import check_refs
from ..domain.dataset import DatasetRef
from ..ports.datastore import ListedArtifact
from .butler_parts import ButlerParts
from .orphans import DEFAULT_AGE_S, find_orphans, remove_orphans
from .progress import Progress, in_batches


class ButlerIntegrity:
    """Checksums of stored Datasets, and orphan files (see ``service.orphans``)."""

    def verify(self: ButlerParts, refs: Sequence[DatasetRef], *,
               progress: Progress | None = None) -> dict[uuid.UUID, str]:
        """Check the artifacts of ``refs`` against their checksums; return the problems by dataset id."""
        problems: dict[uuid.UUID, str] = {}
        for part in in_batches(check_refs(refs), progress):
            artifacts = self.registry.get_artifacts([ref.id for ref in part])
            for ref in part:
                stored = artifacts.get(ref.id)
                if not stored:
                    problems[ref.id] = "no stored artifact"
                    continue
                found = [p for p in self.datastore.verify(stored) if p is not None]
                if found:
                    problems[ref.id] = "; ".join(found)
        return problems

    def find_orphans(self: ButlerParts, older_than_s: float = DEFAULT_AGE_S) -> list[ListedArtifact]:
        """The datastore's files no artifact row points at, at least ``older_than_s`` old (see service.orphans).

        The age leaves out files of puts whose rows are not committed yet; 0 reports every one."""
        return find_orphans(self.registry, self.datastore, older_than_s=older_than_s, repo_root=self.root)

    def remove_orphans(self: ButlerParts, orphans: Sequence[ListedArtifact]) -> list[ListedArtifact]:
        """Delete these orphans (from ``find_orphans``) unless recorded or changed since; return those deleted."""
        self._check_writeable("remove orphan files")
        return remove_orphans(self.registry, self.datastore, orphans, repo_root=self.root)
