"""Orphan files: artifacts a datastore holds that no registry row points at, found and removed safely.

They are left by a crash between a datastore write and the registry commit, by a deletion that
failed after ``remove`` committed, or by a killed process's temporary file. A file being written
right now by a concurrent ``put`` exists briefly before its row commits, so only files older
than a threshold are reported; and removal checks the registry again just before deleting.
"""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Iterable

from ..domain.collection import CollectionKind
from ..domain.errors import ConfigError, ReadOnlyError
from ..ports.capabilities import DatastoreCapability, require
from ..ports.datastore import Datastore, ListedArtifact
from ..ports.registry import Registry

DEFAULT_AGE_S = 3600.0
"""How old an unrecorded file must be to count as an orphan: a younger one may belong to a put whose
registry row is not committed yet."""
BATCH = 1000
"""Datasets whose artifacts are fetched per registry call."""


def recorded_uris(registry: Registry, datastore: Datastore) -> set[str]:
    """The absolute URI (as ``datastore.uri`` renders it) of every artifact the registry records."""
    uris: set[str] = set()
    for run in registry.query_collections(kinds=[CollectionKind.RUN]):
        ids = registry.dataset_ids_in_collection(run.name)
        for start in range(0, len(ids), BATCH):
            for artifacts in registry.get_artifacts(ids[start:start + BATCH]).values():
                uris.update(datastore.uri(artifact) for artifact in artifacts)
    return uris


def find_orphans(registry: Registry, datastore: Datastore, *, older_than_s: float, repo_root: str = "",
                 now: datetime.datetime | None = None) -> list[ListedArtifact]:
    """The listed files no artifact row maps to, last written at least ``older_than_s`` seconds ago.

    With ``older_than_s <= 0`` every unrecorded file is reported, including one whose age is
    unknown or that a concurrent put is writing right now; otherwise a file of unknown age is not.
    """
    require(datastore.capabilities, DatastoreCapability.LIST, repr(datastore), "find orphan files")
    check_root_apart(datastore, repo_root)
    now = now or datetime.datetime.now(datetime.UTC)
    # The files first, then the rows: a put that commits in between is then seen as recorded.
    listed = [entry for entry in datastore.list_artifacts() if old_enough(entry, older_than_s, now)]
    if not listed:
        return []
    recorded = recorded_uris(registry, datastore)
    return [entry for entry in listed if entry.uri not in recorded]


def remove_orphans(registry: Registry, datastore: Datastore, orphans: Iterable[ListedArtifact], *,
                   repo_root: str = "") -> list[ListedArtifact]:
    """Delete the given orphans that are still the same unrecorded files now; return those deleted.

    Just before deleting, the datastore is listed and the registry read again: a file whose row
    was committed since the scan is kept, and so is one that changed (another file now at that URI,
    perhaps a put in progress). A read-only datastore (or child of a chain) raises ReadOnlyError.
    """
    require(datastore.capabilities, DatastoreCapability.LIST, repr(datastore), "remove orphan files")
    if DatastoreCapability.REMOVE not in datastore.capabilities:
        raise ReadOnlyError(f"{datastore!r} is read-only; it cannot remove orphan files")
    check_root_apart(datastore, repo_root)
    candidates = list({entry.uri: entry for entry in orphans}.values())
    if not candidates:
        return []
    current = {entry.uri: entry for entry in datastore.list_artifacts()}
    recorded = recorded_uris(registry, datastore)
    doomed = [entry for entry in candidates if current.get(entry.uri) == entry and entry.uri not in recorded]
    if doomed:
        datastore.remove_uris([entry.uri for entry in doomed])
    return doomed


def old_enough(entry: ListedArtifact, older_than_s: float, now: datetime.datetime) -> bool:
    """Whether ``entry`` was last written at least ``older_than_s`` seconds before ``now``."""
    if older_than_s <= 0:
        return True
    if entry.modified is None:
        return False
    return (now - entry.modified).total_seconds() >= older_than_s


def age_s(entry: ListedArtifact, now: datetime.datetime) -> float | None:
    """Seconds since ``entry`` was last written, if known."""
    return None if entry.modified is None else (now - entry.modified).total_seconds()


def check_root_apart(datastore: Datastore, repo_root: str) -> None:
    """Refuse a local datastore root that holds the repository's own files (butler.yaml, the registry)."""
    if not repo_root or "://" in repo_root or not datastore.root.startswith("file://"):
        return
    repo_uri = pathlib.Path(os.path.abspath(repo_root)).as_uri().rstrip("/") + "/"
    if repo_uri.startswith(datastore.root):
        raise ConfigError(f"the datastore root {datastore.root} contains the repository {repo_root} itself; "
                          "its configuration and registry files would look like orphans. Give the datastore "
                          "a root of its own (e.g. '{root}/datasets') to look for orphans")
