"""Datasets tagged one by one into a TAGGED collection (``DBB_TAG``), beside PROCTAG's whole attempts.

A TAGGED collection holds one dataset per DatasetType and DataId, whichever way it got there; a
dataset there because PROCTAG tags its attempt cannot be untagged alone (the Data Backbone's
operators untag attempts).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.dataset import DatasetRef
from ...domain.errors import ConflictingDefinitionError, DatasetNotFoundError
from .collections import CollectionRecord
from .datasets import Datasets


class Tags:
    """Tags and untags datasets one by one."""

    def __init__(self, datasets: Datasets) -> None:
        self._datasets = datasets

    def associate(self, connection: sa.Connection, tag: str, search_record: CollectionRecord,
                  refs: Sequence[DatasetRef]) -> None:
        """Tag ``refs`` one by one into ``tag`` (a TAGGED collection holds one dataset per type and DataId)."""
        files = self._datasets.desfile_ids(connection, [ref.id for ref in refs])
        unknown = [ref.id for ref in refs if ref.id not in files]
        if unknown:
            raise DatasetNotFoundError(f"cannot tag {len(unknown)} datasets into {tag!r}: dataset {unknown[0]} "
                                       "is not in the registry")
        by_type: dict[str, list[DatasetRef]] = {}
        for ref in {r.id: r for r in refs}.values():
            by_type.setdefault(ref.dataset_type.name, []).append(ref)
        for name, group in by_type.items():
            record = self._datasets.types.find(connection, name)
            assert record is not None
            units, _ = self._datasets.carried(record)
            seen: dict[tuple[Any, ...], uuid.UUID] = {}
            for ref in group:
                other = seen.setdefault(tuple(ref.data_id[u] for u in units), ref.id)
                if other != ref.id:
                    raise ConflictingDefinitionError(f"datasets {other} and {ref.id} have the same dataset type and "
                                                     "data ID; a TAGGED collection holds only one of them")
            present = self._datasets.find(connection, record, [ref.data_id for ref in group], [search_record])
            for ref, there in zip(group, present, strict=True):
                if there is not None and there.id != ref.id:
                    raise ConflictingDefinitionError(
                        f"cannot tag dataset {ref.id} into {tag!r}: dataset {there.id} with the same dataset type "
                        "and data ID is already there; disassociate it first")
        t = self._datasets.catalog.side.tag
        existing = set(connection.execute(sa.select(t.c.desfile_id).where(
            t.c.tag == tag, t.c.desfile_id.in_(list(files.values())))).scalars())
        new = sorted(set(files.values()) - existing)
        if new:
            connection.execute(t.insert(), [{"tag": tag, "desfile_id": n} for n in new])

    def disassociate(self, connection: sa.Connection, tag: str, ids: Sequence[uuid.UUID]) -> None:
        """Untag these datasets from ``tag`` (those tagged through PROCTAG are refused)."""
        files = self._datasets.desfile_ids(connection, ids)
        if not files:
            return
        p, f = self._datasets.catalog.desdm.proctag.c, self._datasets.catalog.desdm.desfile.c
        via_attempt = connection.execute(sa.select(f.ID).where(
            f.ID.in_(list(files.values())), f.PFW_ATTEMPT_ID.in_(sa.select(p.PFW_ATTEMPT_ID).where(p.TAG == tag)))
            ).first()
        if via_attempt is not None:
            raise ConflictingDefinitionError(
                f"cannot untag DESFILE {via_attempt[0]} from {tag!r}: PROCTAG tags its whole processing attempt; "
                "the Data Backbone's operators untag attempts")
        t = self._datasets.catalog.side.tag
        connection.execute(t.delete().where(t.c.tag == tag, t.c.desfile_id.in_(list(files.values()))))
