"""Who owns an artifact file: a file is deleted only when no registry row records it any more.

Several datasets may record one file (ingested in place, DIRECT or AUTO, from the same path, or
one dataset's file ingested as another): the file goes when the last of them goes. A file is
recorded under the URI its datastore returned (root-relative or absolute), so both spellings are
looked up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..domain.dataset import StoredArtifact
from ..domain.errors import ArtifactExistsError, DataButlerError
from ..domain.remedies import Action, Remedy
from ..ports.datastore import Datastore
from ..ports.registry import Registry

log = logging.getLogger(__name__)


def spellings(datastore: Datastore, artifact: StoredArtifact) -> tuple[str, ...]:
    """The URIs a registry may record the file of ``artifact`` by: as recorded, and absolute."""
    try:
        absolute = datastore.uri(artifact)
    except DataButlerError:  # a URI no datastore serves: only its recorded spelling can match
        return (artifact.uri,)
    return (artifact.uri,) if absolute == artifact.uri else (artifact.uri, absolute)


def unshared(registry: Registry, datastore: Datastore, artifacts: Sequence[StoredArtifact]) -> list[StoredArtifact]:
    """The ``artifacts`` whose files no registry row records (as the registry sees it now: call it
    inside the transaction that removes the rows, so that the answer and the removal commit together)."""
    if not artifacts:
        return []
    names = {artifact: spellings(datastore, artifact) for artifact in artifacts}
    users = registry.artifact_users(sorted({uri for uris in names.values() for uri in uris}))
    return [artifact for artifact in artifacts if not any(uri in users for uri in names[artifact])]


def delete_unrecorded(datastore: Datastore, artifacts: Sequence[StoredArtifact], why: str) -> None:
    """Delete the files of ``artifacts`` after their rows are gone; a failure is logged, never raised.

    The rows are committed already, so raising would report a removal that happened as failed; a
    file left behind is an orphan that ``find_orphans`` reports and ``remove_orphans`` deletes.
    """
    if not artifacts:
        return
    try:
        datastore.remove(artifacts)
    except DataButlerError as err:
        log.error("could not delete the files of %d artifacts %s; they are orphans now (find and delete them "
                  "with `databutler verify REPO --orphans --remove-orphans`): %s", len(artifacts), why, err)


def explain_taken(registry: Registry, err: ArtifactExistsError, repo: str) -> ArtifactExistsError:
    """``err`` saying whether the file in the way is another dataset's artifact or an orphan, and what to do."""
    if not err.uris:
        return err
    try:
        users = registry.artifact_users(list(err.uris))
    except DataButlerError:
        return err
    where = err.uris[-1]
    owners = sorted({str(dataset_id) for ids in users.values() for dataset_id in ids})
    if owners:
        return ArtifactExistsError(
            f"{where} already exists: it is the artifact of dataset {', '.join(owners)}; artifacts are never "
            "overwritten (remove that dataset first, write to another run, or give the datastore a file "
            "template that names every DataUnit of the dataset type)", err.uris)
    return ArtifactExistsError(
        f"{where} already exists, but no dataset records it: it is an orphan file, left by a write or removal "
        "that was interrupted, or the file of a put by another client that has not recorded it yet (a put "
        "writes its files before its registry transaction)", err.uris,
        remedy=Remedy(Action.REMOVE_ORPHANS, repo or "REPO"))
