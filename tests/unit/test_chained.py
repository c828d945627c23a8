"""The layered datastore (personal POSIX over a read-only S3 release) and the transfer use case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from databutler import Butler
from databutler.adapters.chained import ChainedDatastore, Child
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import make_datastore as make_objectstore
from databutler.adapters.posix import make_datastore as make_posix
from databutler.domain import DataId, DatasetRef, DatasetType, StorageClassRegistry
from databutler.domain.errors import CapabilityError, DatastoreError, ReadOnlyError
from databutler.ports.datastore import Datastore, ReadRequest
from databutler.service.transfer import transfer
from databutler.testing.s3 import S3Fixtures


def posix(root: Path) -> Datastore:
    return make_posix({"adapter": "posix", "root": str(root)}, storage_classes=StorageClassRegistry(),
                      formatters=default_formatter_set(), create=True, writeable=True)


def s3(root: str, *, writeable: bool = True) -> Datastore:
    return make_objectstore({"adapter": "objectstore", "root": root}, storage_classes=StorageClassRegistry(),
                            formatters=default_formatter_set(), create=writeable, writeable=writeable)


def ref(storage_class: str = "StructuredDataDict", visit: int = 1, name: str = "summary") -> DatasetRef:
    return DatasetRef(DatasetType(name, ("instrument", "visit"), storage_class),
                      DataId({"instrument": "Cam", "visit": visit}), run="run")


def get(datastore: Datastore, dataset: DatasetRef, artifact: Any) -> Any:
    return datastore.get([ReadRequest(dataset, [artifact])])[0]


class TestLayered(S3Fixtures):
    def test_reads_are_dispatched_by_uri_prefix_and_writes_go_to_personal_storage(self, s3_bucket: str,
                                                                                  tmp_path: Path) -> None:
        release_writer = s3(f"{s3_bucket}/dr1")
        released = ref(visit=1)
        (dr_artifact,) = release_writer.put([({"from": "release"}, released)])
        chain = ChainedDatastore([Child("personal", posix(tmp_path / "me")),
                                  Child("release", s3(f"{s3_bucket}/dr1", writeable=False), read_only=True)])
        mine = ref(visit=2)
        (my_artifact,) = chain.put([({"from": "me"}, mine)])
        assert my_artifact.uri.startswith("file://") and chain.uri(my_artifact) == my_artifact.uri
        absolute = attrs.evolve(dr_artifact, uri=release_writer.uri(dr_artifact))  # as a chain records it
        assert get(chain, released, absolute) == {"from": "release"}
        assert get(chain, mine, my_artifact) == {"from": "me"}
        with pytest.raises(ReadOnlyError, match="release"):
            chain.remove([absolute])
        assert chain.exists([absolute, my_artifact]) == [True, True]

    def test_constraints_choose_the_child_and_read_only_chains_refuse_writes(self, s3_bucket: str,
                                                                            tmp_path: Path) -> None:
        arrays = Child("arrays", posix(tmp_path / "arrays"), storage_classes=frozenset({"NumpyArray"}))
        chain = ChainedDatastore([arrays, Child("objects", s3(f"{s3_bucket}/all"))])
        artifacts = chain.put([(np.arange(3), ref("NumpyArray", 1, "image")), ({"a": 1}, ref(visit=2))])
        assert artifacts[0].uri.startswith("file://") and artifacts[1].uri.startswith(f"{s3_bucket}/all/")
        frozen = ChainedDatastore([Child("release", s3(f"{s3_bucket}/all", writeable=False), read_only=True)])
        with pytest.raises(CapabilityError, match="no writeable child"):
            frozen.put([({"a": 1}, ref(visit=3))])

    def test_transfer_copies_bytes_and_keeps_checksums(self, s3_bucket: str, tmp_path: Path) -> None:
        source, target = s3(f"{s3_bucket}/src"), posix(tmp_path / "target")
        refs = [ref(visit=v) for v in range(3)] + [ref("NumpyArray", 9, "image")]
        objects: list[Any] = [{"v": v} for v in range(3)] + [np.arange(10.0)]
        originals = source.put(list(zip(objects, refs, strict=True)))
        copies = transfer(list(zip(refs, originals, strict=True)), source, target)
        assert [c.checksum for c in copies] == [o.checksum for o in originals]
        assert get(target, refs[0], copies[0]) == {"v": 0}
        np.testing.assert_array_equal(get(target, refs[3], copies[3]), np.arange(10.0))

    def test_a_layered_repo_is_configured_from_butler_yaml(self, s3_bucket: str, tmp_path: Path) -> None:
        s3(f"{s3_bucket}/dr").put([({"seed": True}, ref(visit=99))])  # the release exists before the repo
        config = {"datastore": {"adapter": "chained", "children": [
            {"name": "personal", "datastore": {"adapter": "posix", "root": "{root}/mine"}},
            {"name": "release", "read_only": True,
             "datastore": {"adapter": "objectstore", "root": f"{s3_bucket}/dr"}},
        ]}}
        butler = Butler.create(tmp_path / "repo", config, run="run")
        assert repr(butler.datastore) == "ChainedDatastore(personal, release)"
        butler.close()


def test_relative_uris_go_to_the_child_that_claims_them(tmp_path: Path) -> None:
    """A release repo's own POSIX datastore records root-relative paths; the chain must read them there."""
    release_writer = posix(tmp_path / "release")
    released = ref(visit=1)
    (relative,) = release_writer.put([({"from": "release"}, released)])
    assert "://" not in relative.uri and not relative.uri.startswith("/")
    unclaimed = ChainedDatastore([Child("personal", posix(tmp_path / "me")),
                                  Child("release", posix(tmp_path / "release"), read_only=True)])
    assert unclaimed.exists([relative]) == [False]  # looked for under the personal root
    chain = ChainedDatastore([Child("personal", posix(tmp_path / "me")),
                              Child("release", posix(tmp_path / "release"), read_only=True, relative_uris=True)])
    assert chain.exists([relative]) == [True]
    assert get(chain, released, relative) == {"from": "release"}
    (mine,) = chain.put([({"from": "me"}, ref(visit=2))])
    assert mine.uri.startswith("file://") and str(tmp_path / "me") in mine.uri  # writes stay personal
    with pytest.raises(ReadOnlyError, match="release"):
        chain.remove([relative])
    assert get(chain, released, relative) == {"from": "release"}


def test_at_most_one_child_may_claim_relative_uris(tmp_path: Path) -> None:
    with pytest.raises(DatastoreError, match="at most one"):
        ChainedDatastore([Child("a", posix(tmp_path / "a"), relative_uris=True),
                          Child("b", posix(tmp_path / "b"), relative_uris=True)])


def test_a_chain_declares_only_the_ingest_modes_every_writeable_child_honours(tmp_path: Path) -> None:
    from databutler.adapters.memory import make_datastore as make_memory
    from databutler.ports.capabilities import DatastoreCapability
    from databutler.ports.datastore import TransferMode

    objects = s3("memory://chained-modes/objects")
    files = posix(tmp_path / "files")
    chain = ChainedDatastore([Child("files", files, dataset_types=frozenset({"image"})), Child("objects", objects),
                              Child("release", posix(tmp_path / "release"), read_only=True)])
    assert chain.ingest_modes == files.ingest_modes & objects.ingest_modes  # the read-only child does not count
    assert TransferMode.SYMLINK in files.ingest_modes and TransferMode.SYMLINK not in chain.ingest_modes
    memory = make_memory({"adapter": "memory"}, storage_classes=StorageClassRegistry(),
                         formatters=default_formatter_set(), create=True, writeable=True)
    mixed = ChainedDatastore([Child("scratch", memory, dataset_types=frozenset({"scratch"})), Child("files", files)])
    assert DatastoreCapability.INGEST not in mixed.capabilities and mixed.ingest_modes == frozenset()
