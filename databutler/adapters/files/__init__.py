"""The file-datastore kit: public base classes and functions for writing a file-like Datastore.

The bundled posix and objectstore datastores and the cache are built on it, and so can a
datastore outside databutler (``examples/databutler-blobstore`` is one). Two bases:

``BytesDatastore``
    For storage that keeps whole byte strings by location (a key-value store, a database
    table, a web service). Implement ``root`` and five hooks::

        _write_bytes(location, data)  # create a NEW location atomically; ConflictingDefinitionError if taken
        _read_bytes(location)         # its bytes; DatasetNotFoundError if none
        _has_bytes(location)          # whether something is there
        _delete_bytes(locations)      # delete them; absent ones are ignored
        _list_bytes()                 # a StoredBytes(location, size, modified) for everything held

``FileDatastore``
    Its parent, for storage with its own fast paths (streamed writes and reads, range reads,
    links): implement ``_write``, ``_read_artifact``, ``open_artifact``, ``_delete_owned``,
    ``_list_files``, ``_relative_of_listed``, ``_plan_ingest``, ``_place``,
    ``_remove_moved_sources`` and ``_put_back`` (see their docstrings), with the helpers below.

What either base gives for free: locations from the file templates (``template`` option), a
StorageClass check and the formatter before anything is written, checksums and sizes, batches
that are all or nothing (what a failing ``put`` or ``ingest`` wrote is deleted again), never
overwriting (a taken location is an ``ArtifactExistsError`` naming it relative and absolute),
the declared capabilities and their refusal (``ReadOnlyError`` when opened read-only), ingest
with the transfer modes it declares, ``undo_ingest`` deleting only what an ingest brought in,
and ``list_artifacts`` / ``remove_uris`` for orphans. ``BytesDatastore`` adds integrity checks
on every read and in ``verify``, and ingest by copy, move, direct and auto from local files.

Helpers for a factory (``file_options`` reads and checks ``template``, ``checksum`` and
``formatters``, refusing unknown options) and for ``FileDatastore`` backends (streaming
checksums, integrity checks, ingest planning, ``file://`` URIs) are public too. Check a new
backend with the shipped contract suites (``databutler.testing``; see the README).
"""

from .bytes_datastore import BYTES_INGEST_MODES, BytesDatastore, StoredBytes
from .checksums import (
    DEFAULT_ALGORITHM,
    HashingWriter,
    checksum_algorithm,
    checksum_of_bytes,
    checksum_of_stream,
    hash_factory,
)
from .datastore import FileDatastore, PlannedWrite, artifact_for, conflict
from .ingest import IngestPlan, choose_formatter, plan_ingest, transfer_mode
from .integrity import (
    IN_MEMORY_LIMIT,
    bytes_problem,
    check_bytes,
    check_size,
    checksum_problem,
    size_problem,
    stream_problem,
)
from .local import local_path, path_to_uri, source_path, uri_to_path
from .options import COMMON_OPTIONS, FileOptions, check_known, checksum_option, file_options, formatters_option
from .verifying_reader import VerifyingReader

__all__ = [
    "BYTES_INGEST_MODES",
    "COMMON_OPTIONS",
    "DEFAULT_ALGORITHM",
    "IN_MEMORY_LIMIT",
    "BytesDatastore",
    "FileDatastore",
    "FileOptions",
    "HashingWriter",
    "IngestPlan",
    "PlannedWrite",
    "StoredBytes",
    "VerifyingReader",
    "artifact_for",
    "bytes_problem",
    "check_bytes",
    "check_known",
    "check_size",
    "checksum_algorithm",
    "checksum_of_bytes",
    "checksum_of_stream",
    "checksum_option",
    "checksum_problem",
    "choose_formatter",
    "conflict",
    "file_options",
    "formatters_option",
    "hash_factory",
    "local_path",
    "path_to_uri",
    "plan_ingest",
    "size_problem",
    "source_path",
    "stream_problem",
    "transfer_mode",
    "uri_to_path",
]
