"""The Datastore contract, topic group. Ingest: each declared transfer mode, formatter by extension, failed
batches undone, undeclared modes refused.

Adopt it alone by subclassing ``DatastoreIngestContract`` and providing ``make_datastore``;
``DatastoreContract`` includes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ..domain.errors import (
    CapabilityError,
    ConflictingDefinitionError,
    DataButlerError,
    DatasetNotFoundError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, IngestRequest, TransferMode
from .datastore_support import DatastoreFixtures, each_mode, json_file, make_ref, put_one, read
from .requirements import refuses, requires


class DatastoreIngestContract(DatastoreFixtures):
    """Ingest of the Datastore contract."""

    @refuses(DatastoreCapability.INGEST)
    def test_ingest_is_refused_without_ingest(self, datastore: Datastore, sources: Path) -> None:
        source = json_file(sources, {"a": 1})
        for mode in TransferMode:
            with pytest.raises(CapabilityError):
                datastore.ingest([IngestRequest(str(source), make_ref())], mode)

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", each_mode(refused=True))
    def test_undeclared_transfer_modes_are_refused(self, datastore: Datastore, sources: Path,
                                                   mode: TransferMode) -> None:
        with pytest.raises(CapabilityError):
            datastore.ingest([IngestRequest(str(json_file(sources, {"a": 1})), make_ref())], mode)

    # -- ingest ---------------------------------------------------------------------------------

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", each_mode())
    def test_ingest_with_each_declared_mode(self, datastore: Datastore, sources: Path, mode: TransferMode) -> None:
        content = {"ingested": mode.value, "values": [1, 2]}
        source = json_file(sources, content)
        ref = make_ref()
        (artifact,) = datastore.ingest([IngestRequest(str(source), ref)], mode)
        assert artifact.dataset_id == ref.id
        assert read(datastore, ref, artifact) == content
        assert datastore.exists([artifact]) == [True]
        assert datastore.verify([artifact]) == [None]
        assert source.exists() == (mode is not TransferMode.MOVE)
        if mode is TransferMode.DIRECT:
            assert "://" in artifact.uri and datastore.uri(artifact) == artifact.uri
        if DatastoreCapability.REMOVE in datastore.capabilities:
            datastore.remove([artifact])
            if mode is TransferMode.DIRECT:
                assert source.exists(), "remove() deleted a file ingested in place"
            else:
                assert datastore.exists([artifact]) == [False]
            if mode is not TransferMode.MOVE:
                assert json.loads(source.read_text()) == content

    @requires(DatastoreCapability.INGEST)
    def test_ingest_chooses_the_formatter_by_extension(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        content = {"format": "yaml", "list": [1, 2]}
        source = sources / "data.yaml"
        source.write_text(yaml.safe_dump(content))
        ref = make_ref("StructuredDataDict")
        (artifact,) = datastore.ingest([IngestRequest(str(source), ref)], mode)
        assert read(datastore, ref, artifact) == content
        assert datastore.uri(artifact).endswith(".yaml")

    @requires(DatastoreCapability.INGEST)
    def test_ingest_of_a_missing_file_raises_dataset_not_found(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        with pytest.raises(DatasetNotFoundError):
            datastore.ingest([IngestRequest(str(sources / "absent.json"), make_ref())], mode)

    @requires(DatastoreCapability.INGEST)
    def test_ingest_of_an_unreadable_extension_is_refused(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        source = sources / "notes.txt"
        source.write_text("hello")
        with pytest.raises(DataButlerError):
            datastore.ingest([IngestRequest(str(source), make_ref())], mode)

    @requires(DatastoreCapability.INGEST)
    def test_ingest_with_an_unknown_mode_is_refused(self, datastore: Datastore, sources: Path) -> None:
        with pytest.raises(CapabilityError):
            datastore.ingest([IngestRequest(str(json_file(sources, {})), make_ref())], "teleport")  # type: ignore[arg-type]

    @requires(DatastoreCapability.INGEST, DatastoreCapability.WRITE)
    @pytest.mark.parametrize("mode", each_mode([TransferMode.COPY, TransferMode.MOVE, TransferMode.HARDLINK,
                                                TransferMode.SYMLINK]))
    def test_ingest_failing_midway_undoes_the_batch(self, datastore: Datastore, sources: Path,
                                                    mode: TransferMode) -> None:
        first, second = make_ref(), make_ref()
        put_one(datastore, {"taken": True}, second)
        files = [json_file(sources, {"n": 1}), json_file(sources, {"n": 2})]
        requests = [IngestRequest(str(files[0]), first), IngestRequest(str(files[1]), second)]
        with pytest.raises(ConflictingDefinitionError):
            datastore.ingest(requests, mode)
        assert all(f.exists() for f in files), "a failed ingest must leave its source files in place"
        (artifact,) = datastore.ingest([requests[0]], mode)  # nothing of the failed batch is left
        assert read(datastore, first, artifact) == {"n": 1}


def _any_mode(datastore: Datastore) -> TransferMode:
    for mode in (TransferMode.COPY, TransferMode.AUTO, TransferMode.DIRECT):
        if mode in datastore.ingest_modes:
            return mode
    return next(iter(datastore.ingest_modes))
