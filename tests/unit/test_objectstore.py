"""The object-store datastore on a real S3-compatible server (moto on 127.0.0.1) through s3fs."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import ObjectStoreDatastore, make_datastore
from databutler.adapters.objectstore import datastore as objectstore_module
from databutler.adapters.objectstore.errors import translated
from databutler.adapters.objectstore.location import ObjectLocation
from databutler.adapters.objectstore.writes import create_object
from databutler.domain import ConfigError, DataId, DatasetRef, DatasetType, StorageClassRegistry
from databutler.domain.errors import ConflictingDefinitionError, DatastoreError, FileIntegrityError
from databutler.ports.datastore import IngestRequest, ReadRequest, TransferMode
from databutler.testing.s3 import FAKE_SECRET, S3Fixtures, S3Server, s3_filesystem

MIB = 1 << 20


def store(root: str, *, create: bool = True, **options: Any) -> ObjectStoreDatastore:
    return make_datastore({"adapter": "objectstore", "root": root, **options}, storage_classes=StorageClassRegistry(),
                          formatters=default_formatter_set(), create=create, writeable=True)


def ref(storage_class: str = "StructuredDataDict", visit: int = 1) -> DatasetRef:
    dataset_type = DatasetType(f"t_{storage_class.lower()}", ("instrument", "visit"), storage_class)
    return DatasetRef(dataset_type, DataId({"instrument": "Cam", "visit": visit}), run="run")


class TestObjectStoreOnS3(S3Fixtures):
    def test_put_get_remove_round_trip_records_checksum_and_size(self, s3_bucket: str) -> None:
        datastore = store(f"{s3_bucket}/repo")
        obj = {"a": 1, "b": [1, 2, 3]}
        (artifact,) = datastore.put([(obj, ref())])
        data = s3_filesystem().cat_file(datastore.uri(artifact).removeprefix("s3://"))
        assert artifact.checksum == f"blake2b:{hashlib.blake2b(data).hexdigest()}" and artifact.size == len(data)
        assert datastore.uri(artifact) == f"{s3_bucket}/repo/run/t_structureddatadict/instrument=Cam_visit=1.json"
        assert datastore.get([ReadRequest(ref(), [artifact])]) == [obj]
        datastore.remove([artifact])
        assert datastore.exists([artifact]) == [False]

    def test_ingest_by_copy_uploads_and_checksums_the_local_file(self, s3_bucket: str, tmp_path: Path) -> None:
        source = tmp_path / "in.json"
        source.write_text('{"x": 42}')
        datastore = store(f"{s3_bucket}/repo")
        (artifact,) = datastore.ingest([IngestRequest(str(source), ref())], TransferMode.COPY)
        assert artifact.checksum == f"blake2b:{hashlib.blake2b(source.read_bytes()).hexdigest()}"
        assert datastore.get([ReadRequest(ref(), [artifact])]) == [{"x": 42}] and source.exists()

    def test_large_object_is_uploaded_in_parts_and_invisible_until_complete(self, s3_bucket: str,
                                                                          s3_server: S3Server) -> None:
        location = ObjectLocation(f"{s3_bucket}/repo", {})
        path = location.path("big.bin")
        watcher = s3_filesystem()
        seen_while_writing: list[bool] = []

        def write(stream: IO[bytes]) -> None:
            for _ in range(3):
                stream.write(b"x" * (6 * MIB))
                watcher.invalidate_cache()
                seen_while_writing.append(watcher.exists(path))

        since = len(s3_server.log)
        _, size = create_object(location, path, write, algorithm="blake2b", block_size=5 * MIB)
        assert size == 18 * MIB and seen_while_writing == [False, False, False]
        assert any("uploadId" in r.path or r.method == "PUT" for r in s3_server.log[since:])
        watcher.invalidate_cache()
        assert watcher.size(path) == 18 * MIB

    def test_failed_upload_leaves_no_object_and_no_pending_parts(self, s3_bucket: str) -> None:
        location = ObjectLocation(f"{s3_bucket}/repo", {})
        path = location.path("broken.bin")

        def write(stream: IO[bytes]) -> None:
            stream.write(b"y" * (11 * MIB))
            raise RuntimeError("formatter failed midway")

        with pytest.raises(RuntimeError):
            create_object(location, path, write, algorithm=None, block_size=5 * MIB)
        fs = s3_filesystem()
        fs.invalidate_cache()
        assert not fs.exists(path)
        uploads = fs.call_s3("list_multipart_uploads", Bucket=s3_bucket.removeprefix("s3://"))
        assert not uploads.get("Uploads")

    def test_a_key_taken_while_uploading_is_not_overwritten(self, s3_bucket: str) -> None:
        location = ObjectLocation(f"{s3_bucket}/repo", {})
        path = location.path("race.json")

        def write(stream: IO[bytes]) -> None:
            s3_filesystem().pipe_file(path, b"the other writer")  # lands between our check and our commit
            stream.write(b"ours")

        with pytest.raises(ConflictingDefinitionError):  # noqa: SIM117 - the translation is what is tested
            with translated("write", path, frozenset()):
                create_object(location, path, write, algorithm=None, block_size=None)
        assert s3_filesystem().cat_file(path) == b"the other writer"

    def test_partial_read_fetches_byte_ranges_not_the_object(self, s3_bucket: str, s3_server: S3Server) -> None:
        datastore = store(f"{s3_bucket}/repo", partial_read_block_size=64 << 10)
        array = np.arange(2000 * 1000, dtype="float64").reshape(2000, 1000)  # 16 MB
        (artifact,) = datastore.put([(array, ref("NumpyArray"))])
        key = artifact.uri
        since = len(s3_server.log)
        part = datastore.get([ReadRequest(ref("NumpyArray"), [artifact], {"slices": slice(1500, 1502)})])[0]
        np.testing.assert_array_equal(part, array[1500:1502])
        fetched = s3_server.bytes_sent(key, since)
        assert 0 < fetched < 256 << 10, f"a 2-row slice fetched {fetched} bytes of a {artifact.size}-byte object"
        assert all(r.range for r in s3_server.log[since:] if r.method == "GET" and r.path.endswith(key))
        since = len(s3_server.log)
        np.testing.assert_array_equal(datastore.get([ReadRequest(ref("NumpyArray"), [artifact])])[0], array)
        assert s3_server.bytes_sent(key, since) >= array.nbytes

    @pytest.mark.parametrize("storage_class", ["NumpyArray", "ArrayWithMetadata"])
    def test_large_objects_are_streamed_and_verified(self, s3_bucket: str, storage_class: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(objectstore_module, "IN_MEMORY_LIMIT", 1024)
        datastore = store(f"{s3_bucket}/repo")
        array = np.random.default_rng(1).random((300, 50))
        obj = array if storage_class == "NumpyArray" else {"array": array, "metadata": {"a": 1}}
        (artifact,) = datastore.put([(obj, ref(storage_class))])
        got = datastore.get([ReadRequest(ref(storage_class), [artifact])])[0]
        np.testing.assert_array_equal(got if storage_class == "NumpyArray" else got["array"], array)
        path = datastore.uri(artifact).removeprefix("s3://")
        data = bytearray(s3_filesystem().cat_file(path))
        data[-10] ^= 0xFF
        s3_filesystem().pipe_file(path, bytes(data))
        with pytest.raises(FileIntegrityError):
            datastore.get([ReadRequest(ref(storage_class), [artifact])])
        assert datastore.verify([artifact])[0] is not None

    def test_errors_and_logs_never_show_the_secret(self, caplog: pytest.LogCaptureFixture, s3_bucket: str) -> None:
        secret = "databutler-config-secret-9876"
        options = {"key": "databutler-test-access-key", "secret": secret}
        caplog.set_level(logging.DEBUG)
        with pytest.raises(DatastoreError) as created:  # creating checks the bucket at once
            store("s3://no-such-bucket-here/repo", storage_options=options)
        datastore = store("s3://no-such-bucket-here/repo", create=False, storage_options=options)
        with pytest.raises(DatastoreError) as info:  # a bucket gone after creation fails at the put
            datastore.put([({"a": 1}, ref())])
        text = f"{created.value} {info.value} {datastore!r} {caplog.text}"
        assert secret not in text and FAKE_SECRET not in text
        assert "no-such-bucket-here" in str(info.value) and "no-such-bucket-here" in str(created.value)


def test_unknown_options_and_bad_roots_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown options"):
        store("memory://x", chekcsum="md5")
    with pytest.raises(ConfigError, match="root"):
        store("")
    with pytest.raises(ConfigError, match="block_size"):
        store("memory://x", block_size=-1)
