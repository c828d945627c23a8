"""The ownership part of the Datastore contract: a taken path is named, and undoing an ingest removes only
what the ingest brought in.

Mixed into ``DatastoreContract``; it uses that suite's ``datastore`` and ``sources`` fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..domain.errors import ArtifactExistsError
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, IngestRequest, ReadRequest, TransferMode
from .datastore_support import DatastoreFixtures, each_mode, make_ref
from .requirements import requires

_numbers = iter(range(1 << 30))


def _source(directory: Path, content: Any) -> Path:
    path = directory / f"owned-{next(_numbers)}.json"
    path.write_text(json.dumps(content))
    return path


class DatastoreOwnershipContract(DatastoreFixtures):
    """What a datastore deletes is only ever what it created."""

    @requires(DatastoreCapability.WRITE)
    def test_a_taken_path_is_an_artifact_exists_error_naming_the_artifact(self, datastore: Datastore) -> None:
        ref = make_ref()
        (artifact,) = datastore.put([({"first": True}, ref)])
        with pytest.raises(ArtifactExistsError) as raised:
            datastore.put([({"second": True}, ref)])
        assert artifact.uri in raised.value.uris or datastore.uri(artifact) in raised.value.uris

    @requires(DatastoreCapability.INGEST, DatastoreCapability.REMOVE)
    @pytest.mark.parametrize("mode", each_mode())
    def test_undoing_an_ingest_removes_only_what_it_brought_in(self, datastore: Datastore, sources: Path,
                                                               mode: TransferMode) -> None:
        content = {"undo": mode.value}
        source = _source(sources, content)
        request = IngestRequest(str(source), make_ref())
        (artifact,) = datastore.ingest([request], mode)
        datastore.undo_ingest([request], [artifact], mode)
        assert json.loads(source.read_text()) == content, "undoing an ingest lost the user's file"
        if mode is not TransferMode.DIRECT:  # a file ingested from outside the root is always copied in
            assert datastore.exists([artifact]) == [False]

    @requires(DatastoreCapability.INGEST, DatastoreCapability.REMOVE, TransferMode.AUTO, DatastoreCapability.WRITE)
    def test_undoing_an_ingest_in_place_keeps_the_file(self, datastore: Datastore) -> None:
        first = make_ref()
        (stored,) = datastore.put([({"in": "place"}, first)])
        request = IngestRequest(datastore.uri(stored), make_ref())
        (artifact,) = datastore.ingest([request], TransferMode.AUTO)
        assert datastore.uri(artifact) == datastore.uri(stored), "AUTO copied a file already inside the root"
        datastore.undo_ingest([request], [artifact], TransferMode.AUTO)
        assert datastore.get([ReadRequest(first, [stored])]) == [{"in": "place"}]
