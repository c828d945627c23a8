"""Copying Datasets' artifacts from one datastore to another, byte for byte, keeping checksums."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import FileIntegrityError
from ..ports.capabilities import DatastoreCapability, require
from ..ports.datastore import Datastore, IngestRequest, TransferMode
from .progress import Progress, in_batches

_CHUNK = 1 << 20


def transfer(refs: Sequence[tuple[DatasetRef, StoredArtifact]], source: Datastore,
             target: Datastore, *, progress: Progress | None = None,
             batch_size: int | None = None) -> list[StoredArtifact]:
    """Copy each (ref, artifact of ``source``) into ``target``; return the new artifacts, in order.

    The bytes are copied unchanged (``source.open_artifact`` into ``target.ingest`` by copy, with the
    recorded formatter and component: each part of a composite stored in parts is one pair, and copies
    as a part), so the target's checksum equals the source's when both use the same
    algorithm; a difference raises FileIntegrityError. A batch of artifacts (``batch_size``,
    default ``progress.BATCH``) is staged locally and ingested in one ``target.ingest`` call.
    All or nothing: on failure whatever was already copied into ``target`` is removed. The caller
    records the new artifacts in its registry. ``progress(done, total)`` is told after each batch.
    """
    require(source.capabilities, DatastoreCapability.ARTIFACT_BYTES, repr(source), "hand out artifacts to copy")
    require(target.capabilities, DatastoreCapability.INGEST, repr(target), "receive copied artifacts")
    copied: list[StoredArtifact] = []
    with tempfile.TemporaryDirectory(prefix="databutler-transfer-") as staging:
        try:
            for part in in_batches(refs, progress, batch_size):
                requests = []
                for number, (ref, artifact) in enumerate(part):
                    extension = os.path.splitext(artifact.uri)[1]
                    local = os.path.join(staging, f"{len(copied) + number}{extension}")
                    with source.open_artifact(artifact) as stream, open(local, "wb") as file:
                        shutil.copyfileobj(stream, file, _CHUNK)
                    requests.append(IngestRequest(local, ref, formatter=artifact.formatter,
                                                  component=artifact.component))
                new = target.ingest(requests, TransferMode.COPY)
                copied.extend(new)
                for (_, original), request, made in zip(part, requests, new, strict=True):
                    _check_same(original, made, source.uri(original), target.uri(made))
                    os.unlink(request.path)
        except BaseException:
            if copied and DatastoreCapability.REMOVE in target.capabilities:
                target.remove(copied)
            raise
    return copied


def _check_same(original: StoredArtifact, copy: StoredArtifact, source_uri: str, target_uri: str) -> None:
    """Raise FileIntegrityError if ``copy`` differs from ``original`` in size or same-algorithm checksum."""
    sizes_differ = None not in (original.size, copy.size) and original.size != copy.size
    same_algorithm = (original.checksum is not None and copy.checksum is not None
                      and original.checksum.partition(":")[0] == copy.checksum.partition(":")[0])
    if sizes_differ or (same_algorithm and original.checksum != copy.checksum):
        raise FileIntegrityError(f"copy {target_uri} of {source_uri} differs from the original: "
                                 f"{copy.checksum}/{copy.size} bytes against {original.checksum}/{original.size}")
