"""Replaying journaled operations onto the working registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...domain.collection import CollectionKind
from ...domain.dataset_type import DatasetType
from ...domain.errors import DataButlerError, RegistryError
from ...ports.registry import Registry
from . import codec
from .journal import JournalDamageError, read_journal


def _refs(working: Registry, ids: list[Any]) -> list[Any]:
    return [ref for ref in working.get_datasets(ids) if ref is not None]


_OPERATIONS: dict[str, Callable[..., Any]] = {
    "insert_data_units": lambda w, element, records, skip: w.insert_data_units(element, records,
                                                                                skip_existing=skip),
    "update_data_units": lambda w, element, records: w.update_data_units(element, records),
    "register_dataset_type": lambda w, name, units, storage_class, *flags: w.register_dataset_type(
        DatasetType(name, tuple(units), storage_class, is_calibration=bool(flags and flags[0]))),
    "remove_dataset_type": lambda w, name: w.remove_dataset_type(name),
    "register_collection": lambda w, name, kind, doc: w.register_collection(name, CollectionKind(kind), doc),
    "set_chain": lambda w, name, children: w.set_chain(name, children),
    "remove_collection": lambda w, name: w.remove_collection(name),
    "associate": lambda w, tagged, ids: w.associate(tagged, _refs(w, ids)),
    "disassociate": lambda w, tagged, ids: w.disassociate(tagged, _refs(w, ids)),
    "import_datasets": lambda w, refs: w.import_datasets([codec.ref_from_json(r) for r in refs]),
    "remove_datasets": lambda w, ids: w.remove_datasets(ids),
    "insert_artifacts": lambda w, artifacts: w.insert_artifacts([codec.artifact_from_json(a) for a in artifacts]),
    "remove_artifacts": lambda w, ids: w.remove_artifacts(ids),
    "insert_quanta": lambda w, quanta: w.insert_quanta([codec.quantum_from_json(q) for q in quanta]),
}


def apply(working: Registry, operation: list[Any]) -> None:
    """Apply one journaled operation ``[name, *arguments]`` to ``working``."""
    name, *arguments = operation
    handler = _OPERATIONS.get(name)
    if handler is None:
        raise RegistryError(f"the journal holds an unknown operation {name!r}; it was written by a newer databutler")
    handler(working, *arguments)


def replay_journal(working: Registry, fs: Any, path: str, *,
                   observe: Callable[[list[Any]], None] | None = None) -> None:
    """Apply every record of the journal at ``path`` to ``working``, one transaction per record.

    A record that does not decode or apply is reported with the journal and its byte offset, not
    as whatever the working registry said about it (a dataset type missing, say). ``observe`` is
    called with each operation once it is applied.
    """
    for number, (offset, payload) in enumerate(read_journal(fs, path), start=1):
        try:
            operations = codec.loads(payload)
        except (ValueError, TypeError, KeyError) as err:
            raise JournalDamageError(f"the journal {path} is damaged at byte {offset} (record {number}): it does "
                                     f"not decode ({type(err).__name__}: {err})") from None
        try:
            with working.transaction():
                for operation in operations:
                    apply(working, operation)
                    if observe is not None:
                        observe(operation)
        except (DataButlerError, TypeError, ValueError, KeyError) as err:
            raise RegistryError(f"cannot replay record {number} (byte {offset}) of the journal {path}: {err}") \
                from err
