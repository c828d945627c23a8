"""The Butler contract, topic group. Ingest and verify: ingest by each declared transfer mode, a failed
ingest ingests nothing, verify of sound datasets.

Adopt it alone by subclassing ``ButlerIngestContract`` and providing ``make_butler``; ``ButlerContract``
includes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..domain.errors import (
    CapabilityError,
    DataButlerError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import TransferMode
from ..service.butler import Butler
from ..service.file_dataset import FileDataset
from .butler_support import (
    RUN,
    ButlerFixtures,
    data_id,
    payload,
)
from .requirements import refuses, requires


class ButlerIngestContract(ButlerFixtures):
    """Ingest and verify of the Butler contract."""

    # -- ingest ---------------------------------------------------------------------------------

    def _stage(self, directory: Path, n: int) -> list[FileDataset]:
        import json

        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for d in range(1, n + 1):
            path = directory / f"summary_{d}.json"
            path.write_text(json.dumps(payload(2, d)))
            files.append(FileDataset(str(path), "summary", data_id(2, d)))
        return files

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", [  # move is a copy, then a delete of the source
        pytest.param(mode, marks=requires(TransferMode.COPY if mode == "move" else TransferMode(mode)))
        for mode in ("copy", "move", "direct", "hardlink", "symlink", "relsymlink", "auto")])
    def test_ingest_by_each_declared_mode(self, butler: Butler, tmp_path: Path, mode: str) -> None:
        files = self._stage(tmp_path / "staging", 3)
        refs = butler.ingest(files, transfer=mode)
        assert butler.get_many(refs) == [payload(2, d) for d in (1, 2, 3)]
        sources_remain = [os.path.exists(f.path) for f in files]
        assert sources_remain == ([False] * 3 if mode == "move" else [True] * 3)

    @refuses(DatastoreCapability.INGEST)
    def test_ingest_is_refused_without_ingest(self, butler: Butler, tmp_path: Path) -> None:
        with pytest.raises(CapabilityError):
            butler.ingest(self._stage(tmp_path / "s", 1), transfer="copy")
        assert butler.registry.datasets_in_collection(RUN) == []

    @requires(DatastoreCapability.INGEST, TransferMode.COPY)
    def test_ingest_of_a_missing_file_ingests_nothing(self, butler: Butler, tmp_path: Path) -> None:
        files = [*self._stage(tmp_path / "staging", 2),
                 FileDataset(str(tmp_path / "absent.json"), "summary", data_id(2, 3))]
        with pytest.raises(DataButlerError):
            butler.ingest(files, transfer="copy")
        assert butler.registry.datasets_in_collection(RUN) == []
        assert all(os.path.exists(f.path) for f in files[:2])

    # -- integrity ------------------------------------------------------------------------------

    def test_verify_reports_nothing_for_sound_datasets(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        assert butler.verify(refs) == {}
        butler.remove(refs[:1], unstore=True, forget=False)
        assert set(butler.verify(refs)) == {refs[0].id}
