"""Orphan files: temporary leftovers, the age threshold, the re-check before deleting, chains and caches."""

from __future__ import annotations

import datetime
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.adapters.cache import make_datastore as make_cache
from databutler.adapters.chained import ChainedDatastore, Child
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore.listing import modified_time
from databutler.adapters.posix import make_datastore as make_posix
from databutler.adapters.posix.layout import path_to_uri
from databutler.domain import ConfigError, DataId, DatasetRef, DatasetType, StorageClassRegistry
from databutler.domain.errors import CapabilityError, ReadOnlyError
from databutler.ports.capabilities import DatastoreCapability
from databutler.ports.datastore import Datastore, ListedArtifact, ReadRequest
from databutler.service.orphans import old_enough
from databutler.testing.butler import data_id, payload, setup_units
from databutler.testing.butler_orphans import plant_orphan
from databutler.testing.forwarding import ForwardingDatastore

RUN = "test/run"
HOUR = 3600.0


def posix(root: Path, *, writeable: bool = True) -> Datastore:
    return make_posix({"adapter": "posix", "root": str(root)}, storage_classes=StorageClassRegistry(),
                      formatters=default_formatter_set(), create=writeable, writeable=writeable)


def ref(visit: int) -> DatasetRef:
    return DatasetRef(DatasetType("summary", ("instrument", "visit"), "StructuredDataDict"),
                      DataId({"instrument": "Cam", "visit": visit}), run="run")


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look last written ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def path_of(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


@pytest.fixture
def butler(tmp_path: Path) -> Any:
    made = Butler.create(tmp_path / "repo", run=RUN)
    setup_units(made)
    yield made
    made.close()


# -- posix: temporary files, links ---------------------------------------------------------------


def test_a_killed_writers_temporary_file_is_an_orphan_and_its_directory_is_pruned(butler: Butler) -> None:
    refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
    directory = path_of(butler.datastore.root) / RUN / "summary" / "pending"
    directory.mkdir()
    temp = directory / f".instrument=ContractCam_visit=2_detector=1.json.{os.getpid() + 1}.0.tmp"
    temp.write_bytes(b'{"half": ')
    orphans = butler.find_orphans(older_than_s=0)
    assert orphans == [ListedArtifact(path_to_uri(str(temp)), 9, orphans[0].modified)]
    assert butler.remove_orphans(orphans) == orphans
    assert not temp.exists() and not directory.exists(), "the emptied directory is pruned"
    assert butler.get_many(refs) == [payload(1, 1), payload(1, 2)]


def test_links_are_listed_as_themselves_and_never_followed_out_of_the_root(
        butler: Butler, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.json").write_text("{}")
    root = path_of(butler.datastore.root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "to_dir").symlink_to(outside, target_is_directory=True)
    (root / "to_file.json").symlink_to(outside / "precious.json")
    with caplog.at_level(logging.WARNING):
        orphans = butler.find_orphans(older_than_s=0)
    assert [o.uri for o in orphans] == [path_to_uri(str(root / "to_file.json"))]
    assert "to_dir" in caplog.text, "a link to a directory that is not walked is reported, not skipped silently"
    butler.remove_orphans(orphans)
    assert not (root / "to_file.json").is_symlink()
    assert (outside / "precious.json").read_text() == "{}", "removing a link never touches its target"


# -- age threshold -------------------------------------------------------------------------------


def test_only_files_older_than_the_threshold_are_orphans(butler: Butler) -> None:
    _, old = plant_orphan(butler, 3, 1)
    _, new = plant_orphan(butler, 3, 2)
    age(path_of(butler.datastore.uri(old)), 2 * HOUR)
    assert [o.uri for o in butler.find_orphans()] == [butler.datastore.uri(old)]
    assert butler.find_orphans(older_than_s=3 * HOUR) == []
    assert {o.uri for o in butler.find_orphans(older_than_s=0)} == {butler.datastore.uri(a) for a in (old, new)}


def test_a_file_of_unknown_age_is_an_orphan_only_at_age_zero() -> None:
    now = datetime.datetime.now(datetime.UTC)
    unknown = ListedArtifact("memory://x/a.json", None, None)
    assert old_enough(unknown, 0, now) and not old_enough(unknown, 1, now)
    future = ListedArtifact("memory://x/b.json", 1, now + datetime.timedelta(seconds=5))  # clock skew
    assert old_enough(future, 0, now) and not old_enough(future, 1, now)


@pytest.mark.parametrize(("info", "expected"), [
    ({"LastModified": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)}, "2024-01-02T03:04:05+00:00"),
    ({"LastModified": datetime.datetime(2024, 1, 2, 4, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))},
     "2024-01-02T03:04:05+00:00"),
    ({"mtime": 1704164645.0}, "2024-01-02T03:04:05+00:00"),
    ({"updated": "2024-01-02T03:04:05.000Z"}, "2024-01-02T03:04:05+00:00"),
    ({"created": 1704164645}, "2024-01-02T03:04:05+00:00"),
    ({"size": 3}, None),
])
def test_object_store_times_are_read_as_utc(info: dict[str, Any], expected: str | None) -> None:
    found = modified_time(info)
    assert (None if found is None else found.isoformat()) == expected


# -- re-checking before deleting ----------------------------------------------------------------


class CommitWhileListing(ForwardingDatastore):
    """Commits a row for ``planted`` the moment the datastore is listed again (a slow put finishing)."""

    def __init__(self, inner: Datastore) -> None:
        super().__init__(inner)
        self.commit: Any = None

    def list_artifacts(self) -> Any:
        """Forwarded, then the armed commit runs."""
        listed = list(self.inner.list_artifacts())
        if self.commit is not None:
            self.commit()
            self.commit = None
        return iter(listed)


def test_a_row_committed_during_removal_keeps_its_file(butler: Butler) -> None:
    racing = Butler.from_parts(butler.registry, CommitWhileListing(butler.datastore), run=RUN,
                               storage_classes=butler.storage_classes)
    late, planted = plant_orphan(butler)
    orphans = racing.find_orphans(older_than_s=0)
    assert [o.uri for o in orphans] == [butler.datastore.uri(planted)]

    def commit() -> None:
        with butler.registry.transaction():
            butler.registry.import_datasets([late])
            butler.registry.insert_artifacts([planted])

    assert isinstance(racing.datastore, CommitWhileListing)
    racing.datastore.commit = commit
    assert racing.remove_orphans(orphans) == []
    assert butler.get(late) == {"visit": 3, "detector": 4, "orphan_test": True}, "the file of the new row is kept"


def test_a_file_rewritten_since_the_scan_is_kept(butler: Butler) -> None:
    _, planted = plant_orphan(butler)
    path = path_of(butler.datastore.uri(planted))
    orphans = butler.find_orphans(older_than_s=0)
    path.unlink()
    path.write_text('{"another": "file, perhaps a put in progress"}')
    age(path, -60)
    assert butler.remove_orphans(orphans) == []
    assert path.exists()


# -- refusals ------------------------------------------------------------------------------------


def test_read_only_butlers_and_datastores_refuse_to_remove_orphans(butler: Butler, tmp_path: Path) -> None:
    _, planted = plant_orphan(butler)
    orphans = butler.find_orphans(older_than_s=0)
    reader = Butler(tmp_path / "repo", writeable=False)
    assert reader.find_orphans(older_than_s=0) == orphans, "finding orphans only reads"
    with pytest.raises(ReadOnlyError):
        reader.remove_orphans(orphans)
    read_only_store = Butler.from_parts(butler.registry, posix(path_of(butler.datastore.root), writeable=False))
    with pytest.raises(ReadOnlyError):
        read_only_store.remove_orphans(orphans)
    assert butler.datastore.exists([planted]) == [True]


def test_a_datastore_root_holding_the_repository_itself_is_refused(tmp_path: Path) -> None:
    butler = Butler.create(tmp_path / "repo", {"datastore": {"adapter": "posix", "root": "{root}"}}, run=RUN)
    with pytest.raises(ConfigError, match="own"):
        butler.find_orphans(older_than_s=0)
    fake = ListedArtifact(path_to_uri(str(tmp_path / "repo" / "butler.yaml")), 1, None)
    with pytest.raises(ConfigError):
        butler.remove_orphans([fake])
    assert (tmp_path / "repo" / "butler.yaml").exists()
    butler.close()


# -- chains and caches ---------------------------------------------------------------------------


def test_a_chain_lists_only_its_writeable_children(tmp_path: Path) -> None:
    (released,) = posix(tmp_path / "release").put([({"from": "release"}, ref(1))])
    (nested,) = posix(tmp_path / "mine" / "nested_release").put([({"nested": True}, ref(2))])
    chain = ChainedDatastore([Child("mine", posix(tmp_path / "mine")),
                              Child("release", posix(tmp_path / "release", writeable=False), read_only=True),
                              Child("nested", posix(tmp_path / "mine" / "nested_release", writeable=False),
                                    read_only=True)])
    (mine,) = chain.put([({"from": "me"}, ref(3))])
    assert DatastoreCapability.LIST in chain.capabilities
    assert [entry.uri for entry in chain.list_artifacts()] == [mine.uri]
    release_uri = path_to_uri(str(tmp_path / "release" / released.uri))
    with pytest.raises(ReadOnlyError, match="release"):
        chain.remove_uris([mine.uri, release_uri])
    assert chain.exists([mine]) == [True], "a refused call removes nothing"
    assert (tmp_path / "release" / released.uri).exists()
    assert (tmp_path / "mine" / "nested_release" / nested.uri).exists()
    chain.remove_uris([mine.uri])
    assert chain.exists([mine]) == [False]


class Unlisted(ForwardingDatastore):
    """A datastore that does not declare LIST."""

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """The inner capabilities without LIST."""
        return self.inner.capabilities - {DatastoreCapability.LIST}


def test_a_chain_lists_only_when_every_writeable_child_does(tmp_path: Path) -> None:
    partly = ChainedDatastore([Child("a", posix(tmp_path / "a")), Child("b", Unlisted(posix(tmp_path / "b")))])
    only_readers = ChainedDatastore([Child("r", posix(tmp_path / "r"), read_only=True)])
    for chain in (partly, only_readers):
        assert DatastoreCapability.LIST not in chain.capabilities
        with pytest.raises(CapabilityError, match="'list'"):
            chain.list_artifacts()


def test_orphans_of_a_butler_over_a_chain_are_in_its_writeable_storage_only(tmp_path: Path) -> None:
    posix(tmp_path / "release").put([({"unrecorded": "but not mine"}, ref(1))])
    config = {"datastore": {"adapter": "chained", "children": [
        {"name": "mine", "datastore": {"adapter": "posix", "root": "{root}/datasets"}},
        {"name": "release", "read_only": True,
         "datastore": {"adapter": "posix", "root": str(tmp_path / "release")}}]}}
    butler = Butler.create(tmp_path / "repo", config, run=RUN)
    setup_units(butler)
    refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
    _, planted = plant_orphan(butler)
    orphans = butler.find_orphans(older_than_s=0)
    assert [o.uri for o in orphans] == [planted.uri]
    assert butler.remove_orphans(orphans) == orphans
    assert butler.get_many(refs) == [payload(1, 1), payload(1, 2)]
    butler.close()


def test_a_cache_lists_its_remote_and_drops_copies_of_removed_files(tmp_path: Path) -> None:
    remote = posix(tmp_path / "remote")
    store = make_cache({"adapter": "cache", "directory": str(tmp_path / "cache")}, child=remote,
                       storage_classes=StorageClassRegistry(), formatters=default_formatter_set())
    (artifact,) = store.put([({"a": 1}, ref(1))])
    assert store.get([ReadRequest(ref(1), [artifact])]) == [{"a": 1}]  # now cached
    uri = store.uri(artifact)
    fd = store.cache.open(uri)
    assert fd is not None
    os.close(fd)
    assert [entry.uri for entry in store.list_artifacts()] == [uri], "the cache directory is not listed"
    store.remove_uris([uri])
    assert remote.exists([artifact]) == [False]
    assert store.cache.open(uri) is None
