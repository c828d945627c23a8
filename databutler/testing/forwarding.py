"""Registry and Datastore wrappers that forward every call: a base for fault injection and proxies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

from ..domain.calibration import Certification
from ..domain.collection import Collection, CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.lineage import Direction, Lineage, ProvenanceGraph
from ..domain.quantum import Quantum
from ..domain.universe import Universe
from ..domain.values import Timespan
from ..ports.capabilities import DatastoreCapability, RegistryCapability
from ..ports.datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ..ports.query_results import QueryResults
from ..ports.registry import DataIdLike, Registry


class ForwardingRegistry(Registry):
    """A Registry that forwards every call to ``inner``; override methods to inject behaviour."""

    def __init__(self, inner: Registry) -> None:
        self.inner = inner

    @property
    def universe(self) -> Universe:
        """The inner registry's universe."""
        return self.inner.universe

    @property
    def capabilities(self) -> frozenset[RegistryCapability]:
        """The inner registry's capabilities."""
        return self.inner.capabilities

    def transaction(self) -> AbstractContextManager[None]:
        """Forwarded."""
        return self.inner.transaction()

    def close(self) -> None:
        """Forwarded."""
        self.inner.close()

    def insert_data_units(self, element: str, records: Sequence[Mapping[str, Any]], *,
                          skip_existing: bool = False) -> int:
        """Forwarded."""
        return self.inner.insert_data_units(element, records, skip_existing=skip_existing)

    def update_data_units(self, element: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Forwarded."""
        return self.inner.update_data_units(element, records)

    def fetch_data_unit_records(self, element: str,
                                keys: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Forwarded."""
        return self.inner.fetch_data_unit_records(element, keys)

    def expand_data_ids(self, units: Sequence[str], data_ids: Sequence[DataIdLike]) -> list[DataId]:
        """Forwarded."""
        return self.inner.expand_data_ids(units, data_ids)

    def _register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Forwarded (after this wrapper's own checks)."""
        return self.inner.register_dataset_type(dataset_type)

    def get_dataset_type(self, name: str) -> DatasetType:
        """Forwarded."""
        return self.inner.get_dataset_type(name)

    def query_dataset_types(self, pattern: str | None = None) -> list[DatasetType]:
        """Forwarded."""
        return self.inner.query_dataset_types(pattern)

    def remove_dataset_type(self, name: str) -> None:
        """Forwarded."""
        self.inner.remove_dataset_type(name)

    def register_collection(self, name: str, kind: CollectionKind, doc: str = "") -> bool:
        """Forwarded."""
        return self.inner.register_collection(name, kind, doc)

    def get_collection(self, name: str) -> Collection:
        """Forwarded."""
        return self.inner.get_collection(name)

    def query_collections(self, pattern: str | None = None,
                          kinds: Sequence[CollectionKind] | None = None) -> list[Collection]:
        """Forwarded."""
        return self.inner.query_collections(pattern, kinds)

    def set_chain(self, name: str, children: Sequence[str]) -> None:
        """Forwarded."""
        self.inner.set_chain(name, children)

    def resolve_collections(self, search_path: Sequence[str]) -> tuple[str, ...]:
        """Forwarded."""
        return self.inner.resolve_collections(search_path)

    def remove_collection(self, name: str) -> None:
        """Forwarded."""
        self.inner.remove_collection(name)

    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Forwarded."""
        self.inner.associate(tagged, refs)

    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Forwarded."""
        self.inner.disassociate(tagged, refs)

    def insert_datasets(self, dataset_type: str, run: str, data_ids: Sequence[DataIdLike],
                        ids: Sequence[uuid.UUID] | None = None) -> list[DatasetRef]:
        """Forwarded."""
        return self.inner.insert_datasets(dataset_type, run, data_ids, ids)

    def import_datasets(self, refs: Sequence[DatasetRef]) -> list[DatasetRef]:
        """Forwarded."""
        return self.inner.import_datasets(refs)

    def find_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike],
                      collections: Sequence[str], *, timespan: Timespan | None = None) -> list[DatasetRef | None]:
        """Forwarded."""
        return self.inner.find_datasets(dataset_type, data_ids, collections, timespan=timespan)

    def find_stored_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike], collections: Sequence[str],
                             *, timespan: Timespan | None = None
                             ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """Forwarded."""
        return self.inner.find_stored_datasets(dataset_type, data_ids, collections, timespan=timespan)

    def certify(self, collection: str, refs: Sequence[DatasetRef], timespan: Timespan) -> None:
        """Forwarded."""
        self.inner.certify(collection, refs, timespan)

    def decertify(self, collection: str, dataset_type: str, timespan: Timespan, *,
                  data_ids: Sequence[DataIdLike] | None = None) -> None:
        """Forwarded."""
        self.inner.decertify(collection, dataset_type, timespan, data_ids=data_ids)

    def query_certifications(self, collection: str, dataset_type: str | None = None, *,
                             timespan: Timespan | None = None) -> list[Certification]:
        """Forwarded."""
        return self.inner.query_certifications(collection, dataset_type, timespan=timespan)

    def get_datasets(self, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """Forwarded."""
        return self.inner.get_datasets(ids)

    def datasets_in_collection(self, collection: str, dataset_type: str | None = None) -> list[DatasetRef]:
        """Forwarded."""
        return self.inner.datasets_in_collection(collection, dataset_type)

    def remove_datasets(self, ids: Sequence[uuid.UUID]) -> None:
        """Forwarded."""
        self.inner.remove_datasets(ids)

    def insert_artifacts(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Forwarded."""
        self.inner.insert_artifacts(artifacts)

    def get_artifacts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """Forwarded."""
        return self.inner.get_artifacts(ids)

    def remove_artifacts(self, ids: Sequence[uuid.UUID]) -> None:
        """Forwarded."""
        self.inner.remove_artifacts(ids)

    def artifact_users(self, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """Forwarded."""
        return self.inner.artifact_users(uris)

    def insert_quanta(self, quanta: Sequence[Quantum]) -> None:
        """Forwarded."""
        self.inner.insert_quanta(quanta)

    def get_quanta(self, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """Forwarded."""
        return self.inner.get_quanta(ids)

    def find_quanta(self, *, run: str | None = None, task: str | None = None,
                    input: uuid.UUID | None = None, output: uuid.UUID | None = None) -> list[Quantum]:
        """Forwarded."""
        return self.inner.find_quanta(run=run, task=task, input=input, output=output)

    def lineage(self, dataset_id: uuid.UUID, *, direction: Direction | str = Direction.UP,
                depth: int | None = None) -> Lineage:
        """Forwarded."""
        return self.inner.lineage(dataset_id, direction=direction, depth=depth)

    def run_provenance(self, run: str) -> ProvenanceGraph:
        """Forwarded."""
        return self.inner.run_provenance(run)

    def query_datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *,
                       where: str = "", bind: Mapping[str, Any] | None = None,
                       data_id: DataIdLike | None = None, find_first: bool = False,
                       order_by: Sequence[str] = (), limit: int | None = None) -> QueryResults[DatasetRef]:
        """Forwarded."""
        return self.inner.query_datasets(dataset_types, collections, where=where, bind=bind, data_id=data_id,
                                         find_first=find_first, order_by=order_by, limit=limit)

    def query_data_ids(self, units: str | Sequence[str], *, where: str = "", bind: Mapping[str, Any] | None = None,
                       datasets: str | Sequence[str] | None = None, collections: Sequence[str] | None = None,
                       data_id: DataIdLike | None = None) -> QueryResults[DataId]:
        """Forwarded."""
        return self.inner.query_data_ids(units, where=where, bind=bind, datasets=datasets, collections=collections,
                                         data_id=data_id)

    def query_data_unit_records(self, element: str, *, where: str = "", bind: Mapping[str, Any] | None = None,
                                data_id: DataIdLike | None = None) -> QueryResults[dict[str, Any]]:
        """Forwarded."""
        return self.inner.query_data_unit_records(element, where=where, bind=bind, data_id=data_id)

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None = None, *,
                   timeout_s: float | None = None) -> QueryResults[dict[str, Any]]:
        """Forwarded."""
        return self.inner.select_sql(sql, bind, timeout_s=timeout_s)


class ForwardingDatastore(Datastore):
    """A Datastore that forwards every call to ``inner``; override methods to inject behaviour."""

    def __init__(self, inner: Datastore) -> None:
        self.inner = inner

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """The inner datastore's capabilities."""
        return self.inner.capabilities

    @property
    def root(self) -> str:
        """The inner datastore's root."""
        return self.inner.root

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """The inner datastore's transfer modes."""
        return self.inner.ingest_modes

    def close(self) -> None:
        """Forwarded."""
        self.inner.close()

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Forwarded."""
        return self.inner.put(items)

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """Forwarded."""
        return self.inner.open_artifact(artifact)

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Forwarded."""
        return self.inner.get(requests)

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Forwarded."""
        return self.inner.exists(artifacts)

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Forwarded."""
        self.inner.remove(artifacts)

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Forwarded."""
        return self.inner.ingest(requests, transfer)

    def undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                    transfer: TransferMode) -> None:
        """Forwarded."""
        self.inner.undo_ingest(requests, artifacts, transfer)

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Forwarded."""
        return self.inner.verify(artifacts)

    def uri(self, artifact: StoredArtifact) -> str:
        """Forwarded."""
        return self.inner.uri(artifact)

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """Forwarded."""
        return self.inner.list_artifacts()

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Forwarded."""
        self.inner.remove_uris(uris)

    def owns(self, uri: str) -> bool:
        """Forwarded."""
        return self.inner.owns(uri)


class RecordingDatastore(ForwardingDatastore):
    """Forwards everything, remembering the artifacts ``put`` wrote."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.written: list[StoredArtifact] = []

    def put(self, items: Any) -> list[StoredArtifact]:
        """Forwarded, and remembered."""
        artifacts = super().put(items)
        self.written.extend(artifacts)
        return artifacts
