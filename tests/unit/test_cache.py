"""The caching datastore over S3 (moto on 127.0.0.1): hits, LRU bounds, invalidation, shared directories."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, DatasetType
from databutler.adapters.cache import CachingDatastore, LocalCache
from databutler.adapters.cache import make_datastore as make_cache
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import make_datastore as make_objectstore
from databutler.domain import ConfigError, DataId, DatasetRef, StorageClassRegistry
from databutler.domain import DatasetType as Type
from databutler.domain.errors import FileIntegrityError
from databutler.ports.datastore import ReadRequest
from databutler.testing.s3 import S3Fixtures, S3Server, s3_filesystem


def cached(bucket: str, directory: Path, **options: Any) -> CachingDatastore:
    remote = make_objectstore({"adapter": "objectstore", "root": f"{bucket}/repo"},
                              storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                              create=True, writeable=True)
    return make_cache({"adapter": "cache", "directory": str(directory), **options}, child=remote,
                      storage_classes=StorageClassRegistry(), formatters=default_formatter_set())


def ref(visit: int) -> DatasetRef:
    return DatasetRef(Type("summary", ("instrument", "visit"), "StructuredDataDict"),
                      DataId({"instrument": "Cam", "visit": visit}), run="run")


class TestCacheOverS3(S3Fixtures):
    def test_second_read_is_served_from_the_cache_and_uris_stay_remote(self, s3_bucket: str, tmp_path: Path,
                                                                        s3_server: S3Server) -> None:
        store = cached(s3_bucket, tmp_path / "cache")
        (artifact,) = store.put([({"a": 1}, ref(1))])
        assert store.uri(artifact).startswith(s3_bucket) and "://" not in artifact.uri
        since = len(s3_server.log)
        assert store.get([ReadRequest(ref(1), [artifact])]) == [{"a": 1}]
        assert s3_server.bytes_sent(artifact.uri, since) == artifact.size
        since = len(s3_server.log)
        assert store.get([ReadRequest(ref(1), [artifact])]) == [{"a": 1}]
        assert store.get([ReadRequest(ref(1), [artifact], {"keys": ["a"]})]) == [{"a": 1}]
        assert s3_server.log[since:] == []

    def test_a_corrupt_cached_copy_is_dropped_and_fetched_again(self, s3_bucket: str, tmp_path: Path,
                                                               s3_server: S3Server) -> None:
        store = cached(s3_bucket, tmp_path / "cache")
        (artifact,) = store.put([({"payload": "x" * 200}, ref(1))])
        store.get([ReadRequest(ref(1), [artifact])])
        copy = Path(store.cache.path(store.uri(artifact)))
        data = bytearray(copy.read_bytes())
        data[50] ^= 0xFF
        copy.write_bytes(bytes(data))
        since = len(s3_server.log)
        assert store.get([ReadRequest(ref(1), [artifact])]) == [{"payload": "x" * 200}]
        assert s3_server.bytes_sent(artifact.uri, since) == artifact.size
        with store.open_artifact(artifact) as remote_bytes:
            assert copy.read_bytes() == remote_bytes.read()

    def test_a_corrupt_remote_object_is_not_cached(self, s3_bucket: str, tmp_path: Path) -> None:
        store = cached(s3_bucket, tmp_path / "cache")
        (artifact,) = store.put([({"payload": "y" * 100}, ref(1))])
        path = store.uri(artifact).removeprefix("s3://")
        s3_filesystem().pipe_file(path, s3_filesystem().cat_file(path).replace(b"y", b"z", 1))
        with pytest.raises(FileIntegrityError):
            store.get([ReadRequest(ref(1), [artifact])])
        assert not os.path.exists(store.cache.path(store.uri(artifact)))

    def test_file_count_bound_evicts_least_recently_used(self, s3_bucket: str, tmp_path: Path) -> None:
        store = cached(s3_bucket, tmp_path / "cache", max_files=10)
        artifacts = store.put([({"visit": v}, ref(v)) for v in range(15)])
        for visit, artifact in enumerate(artifacts[:10]):
            store.get([ReadRequest(ref(visit), [artifact])])
        store.get([ReadRequest(ref(0), [artifacts[0]])])  # visit 0 becomes the most recently used
        os.utime(store.cache.path(store.uri(artifacts[0])))
        for visit, artifact in list(enumerate(artifacts))[10:]:
            store.get([ReadRequest(ref(visit), [artifact])])
        assert store.cache.usage()[1] <= 10
        assert os.path.exists(store.cache.path(store.uri(artifacts[0])))
        assert os.path.exists(store.cache.path(store.uri(artifacts[14])))
        assert not os.path.exists(store.cache.path(store.uri(artifacts[1])))

    def test_byte_bound_holds_and_larger_artifacts_bypass_the_cache(self, s3_bucket: str, tmp_path: Path) -> None:
        store = cached(s3_bucket, tmp_path / "cache", max_bytes=400)
        artifacts = store.put([({"v": "x" * 60}, ref(v)) for v in range(10)])
        (big,) = store.put([({"v": "x" * 1000}, ref(99))])
        for visit, artifact in enumerate(artifacts):
            assert store.get([ReadRequest(ref(visit), [artifact])]) == [{"v": "x" * 60}]
        assert store.get([ReadRequest(ref(99), [big])]) == [{"v": "x" * 1000}]
        total, files = store.cache.usage()
        assert total <= 400 and 0 < files < 10
        assert not os.path.exists(store.cache.path(store.uri(big)))

    def test_processes_sharing_one_cache_directory_read_correctly(self, s3_bucket: str, tmp_path: Path) -> None:
        config = {"datastore": {"adapter": "cache", "directory": "{root}/cache", "max_files": 8,
                                "child": {"adapter": "objectstore", "root": f"{s3_bucket}/shared"}}}
        butler = Butler.create(tmp_path / "repo", config, run="run")
        butler.registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4}])
        butler.registry.register_dataset_type(DatasetType("summary", ("instrument", "detector"), "StructuredData"))
        butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(4)])
        for d in range(4):
            butler.put({"detector": d, "blob": "b" * 3000}, "summary", instrument="Cam", detector=d)
        butler.close()
        script = textwrap.dedent(f"""
            from databutler import Butler
            butler = Butler({str(tmp_path / "repo")!r}, collections=["run"])
            for _ in range(6):
                for d in range(4):
                    assert butler.get("summary", instrument="Cam", detector=d)["detector"] == d
            print("ok")
        """)
        children = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
                    for _ in range(3)]
        assert [child.communicate(timeout=120)[0].strip() for child in children] == ["ok"] * 3
        assert all(child.returncode == 0 for child in children)
        cache = tmp_path / "repo" / "cache"
        assert list((cache / "tmp").iterdir()) == [] and list((cache / "claims").iterdir()) == []


def test_a_fill_that_evicts_its_own_copy_still_returns_the_bytes(tmp_path: Path) -> None:
    cache = LocalCache(str(tmp_path / "cache"), max_files=1)  # eviction goes down to 0 copies
    descriptors = []
    for name in ("first", "second"):
        def download(writer: Any, body: bytes = name.encode()) -> None:
            writer.write(body)
        descriptors.append(cache.fill(f"s3://bucket/{name}", download, algorithm=None, check=lambda *_: None))
    try:
        assert [os.read(fd, 100) for fd in descriptors] == [b"first", b"second"]
        assert cache.usage()[1] <= 1
        assert list((tmp_path / "cache" / "tmp").iterdir()) == [], "no temporary copy is left behind"
    finally:
        for fd in descriptors:
            os.close(fd)


def test_options_are_checked(tmp_path: Path) -> None:
    remote = make_objectstore({"adapter": "objectstore", "root": "memory://cache-options"},
                              storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                              create=True, writeable=True)
    for bad in ({"max_files": 0}, {"max_bytes": "1GB"}, {"sise": 1}, {"directory": ""}):
        with pytest.raises(ConfigError):
            make_cache({"adapter": "cache", "directory": str(tmp_path), **bad}, child=remote,
                       storage_classes=StorageClassRegistry(), formatters=default_formatter_set())
    with pytest.raises(ConfigError, match="child"):
        Butler.create(tmp_path / "repo", {"datastore": {"adapter": "cache", "directory": str(tmp_path / "c")}})
