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

The names below are the stable surface: the two bases and the types their hooks receive,
``file_options`` for a factory (reads and checks ``template``, ``checksum`` and ``formatters``,
refusing unknown options), and the building blocks of ``FileDatastore`` backends (hashing while
writing, verifying while reading, integrity checks, ingest planning, the error for a taken path).
The submodules (``checksums``, ``integrity``, ``ingest``, ``local``, ``options``) hold more
helpers, each documented there. Check a new backend with the shipped contract suites
(``databutler.testing``; see the README).
"""

from .bytes_datastore import BYTES_INGEST_MODES, BytesDatastore, StoredBytes
from .checksums import DEFAULT_ALGORITHM, HashingWriter
from .datastore import FileDatastore, PlannedWrite, conflict
from .ingest import IngestPlan, plan_ingest
from .integrity import IN_MEMORY_LIMIT, bytes_problem, check_bytes, check_size, stream_problem
from .options import FileOptions, file_options
from .verifying_reader import VerifyingReader

__all__ = [
    "BYTES_INGEST_MODES",
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
    "bytes_problem",
    "check_bytes",
    "check_size",
    "conflict",
    "file_options",
    "plan_ingest",
    "stream_problem",
]
