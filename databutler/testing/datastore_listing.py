"""The LIST part of the Datastore contract: every artifact file is listed, and listed files can be removed.

Mixed into ``DatastoreContract``; it uses that suite's ``datastore`` and ``writeable`` fixtures.
"""

from __future__ import annotations

import datetime

import pytest

from ..domain.errors import CapabilityError, DataButlerError
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, ListedArtifact
from .datastore_support import DatastoreFixtures, make_ref
from .requirements import refuses, requires


def listing(datastore: Datastore) -> dict[str, ListedArtifact]:
    """What ``list_artifacts`` gives, by URI (each URI must come once)."""
    entries = list(datastore.list_artifacts())
    by_uri = {entry.uri: entry for entry in entries}
    assert len(by_uri) == len(entries), "list_artifacts gave a URI twice"
    return by_uri


class DatastoreListingContract(DatastoreFixtures):
    """``list_artifacts`` and ``remove_uris``: declared with LIST, refused without it."""

    @refuses(DatastoreCapability.LIST)
    def test_listing_is_refused_without_list(self, datastore: Datastore) -> None:
        with pytest.raises(CapabilityError, match="'list'"):
            list(datastore.list_artifacts())
        with pytest.raises(CapabilityError, match="'list'"):
            datastore.remove_uris([datastore.root + "contract/missing.json"])

    @requires(DatastoreCapability.LIST)
    def test_a_fresh_datastore_lists_nothing(self, datastore: Datastore) -> None:
        assert listing(datastore) == {}

    @requires(DatastoreCapability.WRITE, DatastoreCapability.LIST)
    def test_every_artifact_put_is_listed_with_its_uri_and_size(self, writeable: Datastore) -> None:
        before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        artifacts = writeable.put([({"i": i, "pad": "x" * i}, make_ref()) for i in range(3)])
        listed = listing(writeable)
        assert set(listed) == {writeable.uri(a) for a in artifacts}, "exactly the written files, by their uri()"
        for artifact in artifacts:
            entry = listed[writeable.uri(artifact)]
            if artifact.size is not None:
                assert entry.size == artifact.size
            if entry.modified is not None:
                assert entry.modified.utcoffset() == datetime.timedelta(0), "times are in UTC"
                assert entry.modified > before

    @requires(DatastoreCapability.WRITE, DatastoreCapability.LIST, DatastoreCapability.REMOVE)
    def test_removed_artifacts_are_no_longer_listed(self, writeable: Datastore) -> None:
        gone, kept = writeable.put([({"a": 1}, make_ref()), ({"b": 2}, make_ref())])
        writeable.remove([gone])
        assert set(listing(writeable)) == {writeable.uri(kept)}

    @requires(DatastoreCapability.WRITE, DatastoreCapability.LIST, DatastoreCapability.REMOVE)
    def test_remove_uris_deletes_exactly_the_listed_files_named(self, writeable: Datastore) -> None:
        gone, kept = writeable.put([({"a": 1}, make_ref()), ({"b": 2}, make_ref())])
        writeable.remove_uris([writeable.uri(gone)])
        assert writeable.exists([gone, kept]) == [False, True]
        assert set(listing(writeable)) == {writeable.uri(kept)}
        writeable.remove_uris([writeable.uri(gone)])  # already absent: ignored
        assert writeable.exists([kept]) == [True]

    @requires(DatastoreCapability.WRITE, DatastoreCapability.LIST, DatastoreCapability.REMOVE)
    def test_remove_uris_refuses_a_uri_it_does_not_hold_and_deletes_nothing(self, writeable: Datastore) -> None:
        (artifact,) = writeable.put([({"a": 1}, make_ref())])
        with pytest.raises(DataButlerError):
            writeable.remove_uris([writeable.uri(artifact), "elsewhere://another/store/x.json"])
        assert writeable.exists([artifact]) == [True]

    @requires(DatastoreCapability.LIST)
    @refuses(DatastoreCapability.REMOVE)
    def test_remove_uris_is_refused_without_remove(self, datastore: Datastore) -> None:
        with pytest.raises(CapabilityError):
            datastore.remove_uris([datastore.root + "contract/missing.json"])
