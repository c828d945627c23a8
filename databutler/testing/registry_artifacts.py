"""The Registry contract, topic group. artifacts, the records of where a dataset's bytes are, and which
datasets record a file (``artifact_users``).

Adopt it alone by subclassing ``RegistryArtifactsContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid

import pytest

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import ConflictingDefinitionError, DatasetNotFoundError
from ..ports.registry import Registry
from .registry_support import RegistryFixtures, artifact, calexp_id


class _RolledBackError(Exception):
    """Raised to roll a transaction back on purpose."""


def _recorded(ref: DatasetRef, uri: str, component: str | None = None) -> StoredArtifact:
    return StoredArtifact(ref.id, uri, "databutler.formats.json.JsonFormatter", "StructuredData", None, 7, component)


def _calexps(registry: Registry, n: int) -> list[DatasetRef]:
    return registry.insert_datasets("calexp", "run1", [{"instrument": "Cam1", "visit": v, "detector": 1}
                                                       for v in range(1, n + 1)])


class RegistryArtifactsContract(RegistryFixtures):
    """Artifact records round-trip; a removal asks the registry who else records a file before deleting it."""

    def test_artifacts_of_whole_datasets_and_components_round_trip(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        records = [artifact(refs[0]), artifact(refs[1], "image"), artifact(refs[1], "mask")]
        with_runs.insert_artifacts(records)
        found = with_runs.get_artifacts([r.id for r in refs] + [uuid.uuid4()])
        assert set(found) == {r.id for r in refs}
        assert found[refs[0].id] == [records[0]]
        assert sorted(found[refs[1].id], key=lambda a: str(a.component)) == records[1:]

    def test_artifacts_of_an_unknown_dataset_are_refused(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        ghost = DatasetRef(ref.dataset_type, ref.data_id, "run1", uuid.uuid4())
        with pytest.raises(DatasetNotFoundError):
            with_runs.insert_artifacts([artifact(ref), artifact(ghost)])
        assert with_runs.get_artifacts([ref.id, ghost.id]) == {}

    def test_a_second_artifact_for_the_same_component_is_a_conflict(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with_runs.insert_artifacts([artifact(ref)])
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_artifacts([StoredArtifact(ref.id, "elsewhere.json", "F", "StructuredData")])
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_artifacts([artifact(ref, "a"), artifact(ref, "a")])
        assert with_runs.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}

    def test_remove_artifacts_keeps_the_datasets(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with_runs.insert_artifacts([artifact(ref), artifact(ref, "image")])
        with_runs.remove_artifacts([ref.id, uuid.uuid4()])
        assert with_runs.get_artifacts([ref.id]) == {}
        assert with_runs.get_datasets([ref.id]) == [ref]

    def test_artifact_users_names_every_dataset_recording_each_uri(self, with_runs: Registry) -> None:
        first, second, third = _calexps(with_runs, 3)
        shared, absolute = "run1/calexp/shared.json", "file:///elsewhere/raw%20file.json"
        with_runs.insert_artifacts([_recorded(first, shared), _recorded(second, shared),
                                    _recorded(third, absolute), _recorded(third, shared, "image")])
        users = with_runs.artifact_users([shared, absolute, "run1/calexp/nobody.json", shared])
        assert users == {shared: {first.id, second.id, third.id}, absolute: {third.id}}
        assert with_runs.artifact_users([]) == {}

    def test_artifact_users_compares_uris_exactly(self, with_runs: Registry) -> None:
        (ref,) = _calexps(with_runs, 1)
        with_runs.insert_artifacts([_recorded(ref, "run1/calexp/A.json")])
        assert with_runs.artifact_users(["run1/calexp/a.json", "run1/calexp/A.json/", "run1/calexp/%.json"]) == {}

    def test_artifact_users_sees_the_rows_its_transaction_removed(self, with_runs: Registry) -> None:
        first, second = _calexps(with_runs, 2)
        shared = "run1/calexp/shared.json"
        with_runs.insert_artifacts([_recorded(first, shared), _recorded(second, shared)])
        with pytest.raises(_RolledBackError), with_runs.transaction():
            with_runs.remove_artifacts([first.id])
            assert with_runs.artifact_users([shared]) == {shared: {second.id}}
            with_runs.remove_datasets([second.id])
            assert with_runs.artifact_users([shared]) == {}
            raise _RolledBackError
        assert with_runs.artifact_users([shared]) == {shared: {first.id, second.id}}

    def test_artifact_users_of_many_uris_in_one_call(self, with_runs: Registry) -> None:
        refs = _calexps(with_runs, 3)
        uris = [f"run1/calexp/{uuid.uuid4()}.json" for _ in range(1200)]  # more than one IN-list chunk
        with_runs.insert_artifacts([_recorded(ref, uris[400 * i + 399]) for i, ref in enumerate(refs)])
        assert with_runs.artifact_users(uris) == {uris[400 * i + 399]: {ref.id} for i, ref in enumerate(refs)}


RegistryArtifactUsersContract = RegistryArtifactsContract
"""The former name of the group (artifact users were a group of their own)."""
