"""The ownership part of the Butler contract: a file goes only when no dataset records it, and never
one the repository does not own.

Mixed into ``ButlerContract``; it uses that suite's ``butler`` fixture (RUN registered, the
contract DataUnits and the ``summary`` dataset type in place). Datastores that ingest are held to
the in-place rules; the removal rules hold for every pair.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ..domain.dataset import StoredArtifact
from ..domain.errors import ArtifactExistsError, DatastoreError
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import TransferMode
from ..service.butler import Butler
from ..service.file_dataset import FileDataset
from .butler_support import ButlerFixtures
from .forwarding import ForwardingDatastore, ForwardingRegistry
from .requirements import requires

_INSTRUMENT = "ContractCam"
IN_PLACE = [pytest.param(mode, marks=requires(TransferMode(mode)), id=mode) for mode in ("direct", "auto")]
"""The in-place ingest modes, each required of the datastore by the case that uses it."""


class _InjectedFaultError(RuntimeError):
    """The failure these tests raise on purpose."""


def _data_id(visit: int, detector: int) -> dict[str, Any]:
    return {"instrument": _INSTRUMENT, "visit": visit, "detector": detector}


def _payload(visit: int, detector: int) -> dict[str, Any]:
    return {"visit": visit, "detector": detector, "ownership_test": True}


def _artifacts(butler: Butler, refs: list[Any]) -> list[StoredArtifact]:
    found = butler.registry.get_artifacts([ref.id for ref in refs])
    return [artifact for ref in refs for artifact in found.get(ref.id, [])]


def _no_orphans(butler: Butler) -> None:
    if DatastoreCapability.LIST in butler.datastore.capabilities:
        assert butler.find_orphans(older_than_s=0) == []


class ButlerOwnershipContract(ButlerFixtures):
    """Shared files outlive all but their last dataset; failed calls undo only what they created."""

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", IN_PLACE)
    def test_a_file_ingested_in_place_as_another_dataset_outlives_either_removal(self, butler: Butler,
                                                                                 mode: str) -> None:
        first = butler.put(_payload(1, 1), "summary", _data_id(1, 1))
        (stored,) = _artifacts(butler, [first])
        source = butler.uri(first)
        (second,) = butler.ingest([FileDataset(source, "summary", _data_id(1, 2))], transfer=mode)
        assert butler.get(second) == _payload(1, 1)
        butler.remove([second])
        assert butler.get(first) == _payload(1, 1), "removing the second owner deleted the first's file"
        (third,) = butler.ingest([FileDataset(source, "summary", _data_id(1, 3))], transfer=mode)
        butler.remove([first])
        assert butler.get(third) == _payload(1, 1)
        butler.remove([third])
        assert butler.datastore.exists([stored]) == [False], "the last owner's removal must delete the file"
        _no_orphans(butler)

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", IN_PLACE)
    def test_datasets_sharing_a_file_removed_together_delete_it(self, butler: Butler, mode: str) -> None:
        first = butler.put(_payload(1, 1), "summary", _data_id(1, 1))
        (stored,) = _artifacts(butler, [first])
        butler.ingest([FileDataset(butler.uri(first), "summary", _data_id(1, 2))], transfer=mode)
        butler.remove_runs([butler.run or ""])
        assert butler.datastore.exists([stored]) == [False]
        _no_orphans(butler)

    @requires(DatastoreCapability.INGEST, TransferMode.DIRECT)
    def test_files_ingested_directly_from_outside_the_root_are_never_deleted(self, butler: Butler,
                                                                              tmp_path: Path) -> None:
        outside = tmp_path / "archive" / "raw.json"
        outside.parent.mkdir()
        outside.write_text(json.dumps(_payload(2, 1)))
        refs = butler.ingest([FileDataset(str(outside), "summary", _data_id(2, d)) for d in (1, 2)],
                             transfer="direct")
        assert butler.get_many(refs) == [_payload(2, 1)] * 2
        butler.remove(refs[:1])
        assert butler.get(refs[1]) == _payload(2, 1)
        butler.remove(refs[1:])
        assert outside.read_text() == json.dumps(_payload(2, 1)), "remove deleted a file it does not own"

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", IN_PLACE)
    def test_a_failed_in_place_ingest_leaves_the_file(self, butler: Butler, mode: str) -> None:
        first = butler.put(_payload(1, 1), "summary", _data_id(1, 1))

        class FailingRegistry(ForwardingRegistry):
            def insert_artifacts(self, artifacts: Any) -> None:
                raise _InjectedFaultError("database went away")

        faulty = Butler.from_parts(FailingRegistry(butler.registry), butler.datastore,
                                   storage_classes=butler.storage_classes, run=butler.run)
        with pytest.raises(_InjectedFaultError):
            faulty.ingest([FileDataset(butler.uri(first), "summary", _data_id(1, 2))], transfer=mode)
        assert butler.find_dataset("summary", _data_id(1, 2)) is None
        assert butler.get(first) == _payload(1, 1), "undoing a failed in-place ingest deleted the file"
        _no_orphans(butler)

    @requires(DatastoreCapability.INGEST, TransferMode.COPY)
    def test_a_failed_copy_ingest_removes_its_copies(self, butler: Butler, tmp_path: Path) -> None:
        source = tmp_path / "staged.json"
        source.write_text(json.dumps(_payload(2, 1)))

        class FailingRegistry(ForwardingRegistry):
            def insert_artifacts(self, artifacts: Any) -> None:
                raise _InjectedFaultError("database went away")

        faulty = Butler.from_parts(FailingRegistry(butler.registry), butler.datastore,
                                   storage_classes=butler.storage_classes, run=butler.run)
        with pytest.raises(_InjectedFaultError):
            faulty.ingest([FileDataset(str(source), "summary", _data_id(2, 1))], transfer="copy")
        assert source.exists()
        _no_orphans(butler)
        (ref,) = butler.ingest([FileDataset(str(source), "summary", _data_id(2, 1))], transfer="copy")
        assert butler.get(ref) == _payload(2, 1)

    def test_remove_logs_a_failed_deletion_and_the_file_is_an_orphan(self, butler: Butler,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
        ref = butler.put(_payload(1, 1), "summary", _data_id(1, 1))
        (stored,) = _artifacts(butler, [ref])

        class UndeletingDatastore(ForwardingDatastore):
            def remove(self, artifacts: Any) -> None:
                raise DatastoreError("cannot delete: injected I/O error")

        faulty = Butler.from_parts(butler.registry, UndeletingDatastore(butler.datastore),
                                   storage_classes=butler.storage_classes, run=butler.run)
        with caplog.at_level(logging.ERROR):
            faulty.remove([ref])  # the rows are gone: the call succeeded, and says so by returning
        assert "injected I/O error" in caplog.text
        assert butler.registry.get_datasets([ref.id]) == [None]
        assert butler.datastore.exists([stored]) == [True]
        if DatastoreCapability.LIST in butler.datastore.capabilities:
            assert [o.uri for o in butler.find_orphans(older_than_s=0)] == [butler.datastore.uri(stored)]

    @requires(DatastoreCapability.WRITE)
    def test_a_put_over_an_orphan_succeeds_or_says_how_to_clear_it(self, butler: Butler) -> None:
        crashed = butler.put(_payload(3, 4), "summary", _data_id(3, 4))
        butler.registry.remove_datasets([crashed.id])  # the rows go, the file stays: as a crash before commit
        try:
            ref = butler.put(_payload(3, 4), "summary", _data_id(3, 4))
        except ArtifactExistsError as err:
            assert "orphan" in str(err) and "remove_orphans" in str(err)
        else:  # the orphan was not in the way (paths that name the dataset id), or was replaced
            assert butler.get(ref) == _payload(3, 4)
            return
        assert butler.find_dataset("summary", _data_id(3, 4)) is None
        if DatastoreCapability.LIST in butler.datastore.capabilities:
            butler.remove_orphans(butler.find_orphans(older_than_s=0))
            ref = butler.put(_payload(3, 4), "summary", _data_id(3, 4))
            assert butler.get(ref) == _payload(3, 4)
