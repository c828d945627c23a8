"""JSON encoding of the operations a limited registry journals (records, refs, artifacts, quanta)."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.dataset_type import DatasetType
from ...domain.quantum import Quantum, QuantumStatus
from ...domain.region import Region, decode_region, encode_region
from ...domain.values import Timespan


def encode_value(value: Any) -> Any:
    """A JSON-able form of a record value, data ID value or metadata value."""
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Timespan):
        return {"$ts": [encode_value(value.begin), encode_value(value.end)]}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, Region):
        return {"$region": encode_region(value).hex()}
    if isinstance(value, Mapping):
        return {"$map": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if not isinstance(value, bool | int) and hasattr(value, "__index__"):
        return int(value)  # numpy integers, which registries accept as integers
    return value


def decode_value(value: Any) -> Any:
    """The inverse of ``encode_value``."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.datetime.fromisoformat(value["$dt"])
        if "$ts" in value:
            begin, end = (decode_value(v) for v in value["$ts"])
            return Timespan(begin, end)
        if "$uuid" in value:
            return uuid.UUID(value["$uuid"])
        if "$region" in value:
            return decode_region(bytes.fromhex(value["$region"]), "journalled region")
        if "$map" in value:
            return {decode_value(k): decode_value(v) for k, v in value["$map"]}
    return value


def dumps(operations: list[list[Any]]) -> bytes:
    """One journal record's payload: a list of operations ``[name, *arguments]``."""
    return json.dumps(encode_value(operations), separators=(",", ":")).encode()


def loads(payload: bytes) -> list[list[Any]]:
    """The operations of one journal record."""
    operations: list[list[Any]] = decode_value(json.loads(payload))
    return operations


def ref_to_json(ref: DatasetRef) -> dict[str, Any]:
    """A DatasetRef as a plain mapping."""
    t = ref.dataset_type
    kind = [t.name, list(t.units), t.storage_class, *([True] if t.is_calibration else [])]
    return {"type": kind, "values": dict(ref.data_id),
            "implied": dict(ref.data_id.implied), "run": ref.run, "id": ref.id}


def ref_from_json(data: Mapping[str, Any]) -> DatasetRef:
    """The inverse of ``ref_to_json``."""
    name, units, storage_class, *flags = data["type"]  # a 4th element: is_calibration (absent: False)
    dataset_type = DatasetType(name, tuple(units), storage_class, is_calibration=bool(flags and flags[0]))
    return DatasetRef(dataset_type, DataId(data["values"], data["implied"]),
                      data["run"], data["id"])


def artifact_to_json(artifact: StoredArtifact) -> dict[str, Any]:
    """A StoredArtifact as a plain mapping."""
    return {"dataset_id": artifact.dataset_id, "uri": artifact.uri, "formatter": artifact.formatter,
            "storage_class": artifact.storage_class, "checksum": artifact.checksum, "size": artifact.size,
            "component": artifact.component}


def artifact_from_json(data: Mapping[str, Any]) -> StoredArtifact:
    """The inverse of ``artifact_to_json``."""
    return StoredArtifact(**data)


def quantum_to_json(quantum: Quantum) -> dict[str, Any]:
    """A Quantum as a plain mapping."""
    data_id = quantum.data_id
    return {"task": quantum.task, "run": quantum.run,
            "data_id": None if data_id is None else [dict(data_id), dict(getattr(data_id, "implied", {}))],
            "inputs": list(quantum.inputs), "outputs": list(quantum.outputs), "status": quantum.status.value,
            "started": quantum.started, "ended": quantum.ended, "host": quantum.host,
            "metadata": dict(quantum.metadata), "id": quantum.id}


def quantum_from_json(data: Mapping[str, Any]) -> Quantum:
    """The inverse of ``quantum_to_json``."""
    data_id = None if data["data_id"] is None else DataId(data["data_id"][0], data["data_id"][1])
    return Quantum(data["task"], data["run"], data_id, tuple(data["inputs"]), tuple(data["outputs"]),
                   QuantumStatus(data["status"]), data["started"], data["ended"], data["host"], data["metadata"],
                   data["id"])
