"""Artifact records: where datastores put the bytes of each dataset (and of its components)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...domain.dataset import StoredArtifact
from ...domain.errors import ConflictingDefinitionError, DataButlerError, DatasetNotFoundError, RegistryError
from .dialect import ARRAY_CHUNK, IN_CHUNK, chunks, delete_many, insert_many
from .layout import Layout

WHOLE = ""
"""The ``component`` column value of an artifact holding the whole dataset (primary keys are never NULL)."""


class ArtifactManager:
    """Reads and writes ``dataset_artifact``."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._table = layout.reads.dataset_artifact
        self._written = layout.writes.dataset_artifact
        self._dataset = layout.reads.dataset
        a = self._table.c
        self._by_ids = (sa.select(self._table).where(a.dataset_id.in_(sa.bindparam("ids", expanding=True)))
                        .order_by(a.dataset_id, a.component))
        self._by_id = sa.select(self._table).where(a.dataset_id == sa.bindparam("id")).order_by(a.component)
        self._by_uris = sa.select(a.uri, a.dataset_id).where(a.uri.in_(sa.bindparam("uris", expanding=True)))
        # Many values go as one parameter, not one per value (whose set-up in SQLAlchemy costs more than
        # the lookup): a PostgreSQL array, or on SQLite a JSON list read by json_each; 10^4 at a time.
        self._by_id_json = (sa.select(self._table).where(a.dataset_id.in_(_json_values("ids")))
                            .order_by(a.dataset_id, a.component))
        self._by_uri_json = sa.select(a.uri, a.dataset_id).where(a.uri.in_(_json_values("uris")))
        self._by_id_array = (sa.select(self._table).where(a.dataset_id == sa.any_(
            sa.bindparam("ids", type_=postgresql.ARRAY(a.dataset_id.type)))).order_by(a.dataset_id, a.component))
        self._by_uri_array = sa.select(a.uri, a.dataset_id).where(a.uri == sa.any_(
            sa.bindparam("uris", type_=postgresql.ARRAY(a.uri.type))))

    def rows(self, artifacts: Sequence[StoredArtifact]) -> list[dict[str, Any]]:
        """The rows recording ``artifacts``; one artifact per dataset and component."""
        rows: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        for artifact in artifacts:
            if not isinstance(artifact, StoredArtifact):
                raise RegistryError(f"expected a StoredArtifact, got {type(artifact).__name__}")
            component = artifact.component or WHOLE
            if (artifact.dataset_id, component) in rows:
                raise ConflictingDefinitionError(f"dataset {artifact.dataset_id} has two artifacts for "
                                                 f"{_what(component)} in one batch")
            rows[(artifact.dataset_id, component)] = {
                "dataset_id": artifact.dataset_id, "component": component, "uri": artifact.uri,
                "formatter": artifact.formatter, "storage_class": artifact.storage_class,
                "checksum": artifact.checksum, "size": artifact.size}
        return list(rows.values())

    def insert(self, connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Insert artifact ``rows`` (from ``rows()``)."""
        if rows:
            self._layout.check_datasets(connection, [row["dataset_id"] for row in rows], "record artifacts")
            insert_many(connection, self._written, rows)

    def explain_insert_conflict(self, connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> DataButlerError:
        """Say which artifact made an insert of ``rows`` violate a constraint."""
        ids = list(dict.fromkeys(row["dataset_id"] for row in rows))
        known: set[uuid.UUID] = set()
        recorded: set[tuple[uuid.UUID, str]] = set()
        a = self._table.c
        for part in chunks(ids):
            known.update(connection.execute(sa.select(self._dataset.c.id).where(self._dataset.c.id.in_(part)))
                         .scalars())
            recorded.update((i, c) for i, c in connection.execute(sa.select(a.dataset_id, a.component)
                                                                  .where(a.dataset_id.in_(part))))
        for row in rows:
            if row["dataset_id"] not in known:
                return DatasetNotFoundError(f"cannot record an artifact of dataset {row['dataset_id']}: the dataset "
                                            "is not in the registry; insert it first")
            if (row["dataset_id"], row["component"]) in recorded:
                return ConflictingDefinitionError(f"dataset {row['dataset_id']} already has an artifact for "
                                                  f"{_what(row['component'])}; remove it first")
        return ConflictingDefinitionError("cannot record artifacts: another writer changed the registry at the "
                                          "same time; retry")

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""
        result: dict[uuid.UUID, list[StoredArtifact]] = {}
        for row in self._rows(connection, ids):
            result.setdefault(row.dataset_id, []).append(StoredArtifact(
                row.dataset_id, row.uri, row.formatter, row.storage_class, row.checksum, row.size,
                row.component or None))
        return result

    def _rows(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> Iterator[sa.Row[Any]]:
        if len(ids) == 1:  # the common single read: no IN-list expansion
            yield from connection.execute(self._by_id, {"id": ids[0]})
            return
        dialect = connection.dialect.name
        for part in chunks(list(dict.fromkeys(ids)), ARRAY_CHUNK if dialect in _ONE_PARAMETER else IN_CHUNK):
            if dialect == "sqlite":
                yield from connection.execute(self._by_id_json, {"ids": json.dumps([i.hex for i in part])})
            else:
                yield from connection.execute(self._by_id_array if dialect == "postgresql" else self._by_ids,
                                              {"ids": list(part)})

    def users(self, connection: sa.Connection, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose artifact rows have each of ``uris`` (URIs no row has are absent)."""
        result: dict[str, set[uuid.UUID]] = {}
        dialect = connection.dialect.name
        parameters: dict[str, Any]
        for part in chunks(list(dict.fromkeys(uris)), ARRAY_CHUNK if dialect in _ONE_PARAMETER else IN_CHUNK):
            if dialect == "sqlite":
                statement, parameters = self._by_uri_json, {"uris": json.dumps(list(part))}
            else:
                statement = self._by_uri_array if dialect == "postgresql" else self._by_uris
                parameters = {"uris": list(part)}
            for uri, dataset_id in connection.execute(statement, parameters):
                result.setdefault(uri, set()).add(dataset_id)
        return result

    def remove(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets."""
        self._layout.check_datasets(connection, ids, "remove artifact records")
        delete_many(connection, self._written.c.dataset_id, list(dict.fromkeys(ids)))


_ONE_PARAMETER = frozenset({"sqlite", "postgresql"})


def _json_values(name: str) -> sa.Select[Any]:
    """The values of JSON list parameter ``name`` as rows (SQLite's json_each)."""
    return sa.select(sa.column("value")).select_from(sa.func.json_each(sa.bindparam(name, type_=sa.String())))


def _what(component: str) -> str:
    return f"component {component!r}" if component else "the whole dataset"
