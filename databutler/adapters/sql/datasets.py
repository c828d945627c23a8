"""Datasets: insertion and import into RUNs, lookup by search path or id, and removal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.collection import CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConflictingDefinitionError, DataButlerError
from ...domain.universe import Universe
from ...ports import dataset_rules
from . import driver
from .collections import CollectionManager
from .dataset_types import DatasetTypeManager
from .dialect import IN_CHUNK, chunks, collector_paused, delete_many, insert_many, uuid_column, uuid_from_db, where_in
from .id_lists import one_of
from .layout import Layout
from .search_path import SearchPath


class DatasetManager:
    """Reads and writes the ``dataset`` table (and cleans up ``dataset_tag``/``dataset_artifact``)."""

    def __init__(self, universe: Universe, layout: Layout, dataset_types: DatasetTypeManager,
                 collections: CollectionManager) -> None:
        self._universe = universe
        self._layout = layout
        self._schema = schema = layout.reads
        self._written = layout.writes.dataset
        self._types = dataset_types
        self._collections = collections
        self._unit_names = tuple(u.name for u in universe.units)
        self._implied: dict[tuple[str, ...], tuple[str, ...]] = {}
        d = schema.dataset.c
        self._all_columns: sa.Select[Any] = sa.select(schema.dataset)
        self._by_id = sa.select(schema.dataset).where(d.id == sa.bindparam("id"))
        self._finds: dict[tuple[tuple[str, ...], str, bool, bool], sa.Select[Any]] = {}
        """Find statements by (units, "run"/"runs"/"tags", one key, guarded): see ``_find_statement``."""

    # -- rows <-> refs ------------------------------------------------------------------------

    def _implied_of(self, units: tuple[str, ...]) -> tuple[str, ...]:
        implied = self._implied.get(units)
        if implied is None:
            implied = self._implied[units] = self._universe.implied(units)
        return implied

    def row(self, type_id: int, run_id: int, data_id: DataId, dataset_id: uuid.UUID) -> dict[str, Any]:
        """The ``dataset`` row of one dataset: fixed columns plus one column per DataUnit."""
        row: dict[str, Any] = dict.fromkeys(self._unit_names)
        row.update(data_id.full)
        row.update(id=dataset_id, dataset_type_id=type_id, run_id=run_id, data_id_key=data_id.key())
        return row

    def _rows_of_type(self, dataset_type: DatasetType, type_id: int, run_id: int, data_ids: Sequence[DataId],
                      dataset_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        """The ``dataset`` rows of datasets of one type, with only the columns that type uses.

        The other unit columns are left to default to NULL: fewer parameters per row is most of the
        cost of a large executemany.
        """
        template: dict[str, Any] = dict.fromkeys((*dataset_type.units, *self._implied_of(dataset_type.units)))
        width = len(template)
        rows = []
        for data_id, dataset_id in zip(data_ids, dataset_ids, strict=True):
            row = template.copy()
            row.update(data_id.full)
            if len(row) != width:  # a unit outside the type's columns: fall back to every column
                return [self.row(type_id, run_id, d, i) for d, i in zip(data_ids, dataset_ids, strict=True)]
            row["id"] = dataset_id
            row["dataset_type_id"] = type_id
            row["run_id"] = run_id
            row["data_id_key"] = data_id.key()
            rows.append(row)
        return rows

    def refs(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[DatasetRef]:
        """DatasetRefs for ``dataset`` rows."""
        types = self._types.by_ids(connection, {r["dataset_type_id"] for r in rows})
        runs = self._collections.names_of(connection, {r["run_id"] for r in rows})
        shapes = {type_id: (dataset_type, dataset_type.units, self._implied_of(dataset_type.units))
                  for type_id, dataset_type in types.items()}
        adopt, new_ref = DataId.adopt, DatasetRef
        result = []
        with collector_paused():
            for row in rows:
                dataset_type, units, implied_units = shapes[row["dataset_type_id"]]
                implied = {u: v for u in implied_units if (v := row[u]) is not None}
                data_id = adopt({u: row[u] for u in units}, implied)
                result.append(new_ref(dataset_type, data_id, runs[row["run_id"]], uuid_from_db(row["id"])))
        return result

    def _refs_of_type(self, connection: sa.Connection, dataset_type: DatasetType,
                      rows: Iterable[Sequence[Any]]) -> list[DatasetRef]:
        """DatasetRefs for rows of ``_type_columns(dataset_type)``: one DatasetType, no per-row lookups."""
        units = dataset_type.units
        implied_units = self._implied_of(units)
        first_implied = 2 + len(units)
        rows = list(rows)
        runs = self._collections.names_of(connection, {row[1] for row in rows})
        adopt, new_ref, from_db = DataId.adopt, DatasetRef, uuid_from_db
        result: list[DatasetRef] = []
        append = result.append
        with collector_paused():
            for row in rows:
                values = row[first_implied:]
                implied = (dict(zip(implied_units, values, strict=True)) if None not in values else
                           {u: v for u, v in zip(implied_units, values, strict=True) if v is not None})
                data_id = adopt(dict(zip(units, row[2:first_implied], strict=True)), implied)
                append(new_ref(dataset_type, data_id, runs[row[1]], from_db(row[0])))
        return result

    def _type_columns(self, dataset_type: DatasetType) -> list[sa.ColumnElement[Any]]:
        """The columns ``_refs_of_type`` reads: id, run, the required units, then the implied ones."""
        d = self._schema.dataset.c
        return [uuid_column(d.id), d.run_id, *(d[u] for u in dataset_type.units),
                *(d[u] for u in self._implied_of(dataset_type.units))]

    # -- inserts ------------------------------------------------------------------------------

    def insert(self, connection: sa.Connection, refs: Sequence[DatasetRef]) -> None:
        """Store new datasets of one type and run, DataIds expanded (see RegistryBase.insert_datasets)."""
        if not refs:
            return
        definition, run = refs[0].dataset_type, refs[0].run
        type_id, _ = self._types.get(connection, definition.name)
        run_record = self._collections.get(connection, run, CollectionKind.RUN)
        rows = self._rows_of_type(definition, type_id, run_record.id, [r.data_id for r in refs], [r.id for r in refs])
        # Rows go in index order, so concurrent writers lock unique keys in one order: a clash
        # is a unique violation for the later writer, never a deadlock.
        insert_many(connection, self._written, sorted(rows, key=lambda row: row["data_id_key"]))

    def explain_insert_conflict(self, connection: sa.Connection, refs: Sequence[DatasetRef]) -> DataButlerError:
        """Say which dataset made an insert of ``refs`` (one type and run) violate a constraint."""
        dataset_type, run = refs[0].dataset_type.name, refs[0].run
        type_id, _ = self._types.get(connection, dataset_type)
        run_record = self._collections.get(connection, run, CollectionKind.RUN)
        keys = {ref.data_id.key(): ref.data_id for ref in refs}
        d = self._schema.dataset.c
        for part in chunks(list(keys)):
            query = sa.select(d.data_id_key, d.id).where(d.dataset_type_id == type_id, d.run_id == run_record.id,
                                                         d.data_id_key.in_(part))
            for key, existing in connection.execute(query):
                return dataset_rules.already_in_run(dataset_type, keys[key], run, existing)
        for some_ids in chunks([ref.id for ref in refs]):
            for existing in connection.execute(sa.select(d.id).where(d.id.in_(some_ids))).scalars():
                return ConflictingDefinitionError(f"a dataset with id {existing} already exists")
        return ConflictingDefinitionError(f"cannot insert {dataset_type!r} datasets into run {run!r}: another "
                                          "writer changed the registry at the same time; retry")

    def import_refs(self, connection: sa.Connection, refs: Sequence[DatasetRef]) -> None:
        """Store those of ``refs`` (distinct ids, expanded, runs registered) that are not stored yet."""
        type_ids = {name: self._types.get(connection, name)[0] for name in {ref.dataset_type.name for ref in refs}}
        run_ids = {run: self._collections.get(connection, run, CollectionKind.RUN).id
                   for run in dict.fromkeys(ref.run for ref in refs)}
        rows = {ref.id: self.row(type_ids[ref.dataset_type.name], run_ids[ref.run], ref.data_id, ref.id)
                for ref in refs}
        new = self._drop_existing(connection, rows)
        for run_id, name in self._collections.names_of(connection, {row["run_id"] for row in new}).items():
            self._layout.check_collection(run_id, name, f"import datasets into run {name!r}")
        self._check_unique(connection, new)
        if new:
            connection.execute(self._written.insert(), new)

    def _drop_existing(self, connection: sa.Connection, rows: dict[uuid.UUID, dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows whose ids are new; an id present with another definition is a conflict."""
        identity = ("dataset_type_id", "run_id", "data_id_key")
        present: set[uuid.UUID] = set()
        for row in where_in(connection, self._all_columns, self._schema.dataset.c.id, list(rows)):
            existing = row._mapping
            given = rows[existing["id"]]
            if any(existing[c] != given[c] for c in identity):
                old = self.refs(connection, [existing])[0]
                raise ConflictingDefinitionError(f"dataset id {existing['id']} already exists as {old!r}, "
                                                 "not as the dataset being imported")
            present.add(existing["id"])
        return [row for dataset_id, row in rows.items() if dataset_id not in present]

    def _check_unique(self, connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Refuse rows whose (DatasetType, run, DataId) is taken, in the batch or the registry."""
        d = self._schema.dataset.c
        identities: dict[tuple[int, int, str], uuid.UUID] = {}
        for row in rows:
            identity = (row["dataset_type_id"], row["run_id"], row["data_id_key"])
            if identity in identities:
                raise ConflictingDefinitionError(f"datasets {identities[identity]} and {row['id']} have the same "
                                                 "dataset type, run and data ID")
            identities[identity] = row["id"]
        groups: dict[tuple[int, int], list[str]] = {}
        for type_id, run_id, key in identities:
            groups.setdefault((type_id, run_id), []).append(key)
        for (type_id, run_id), keys in groups.items():
            query: sa.Select[Any] = sa.select(d.id, d.data_id_key).where(d.dataset_type_id == type_id,
                                                                         d.run_id == run_id)
            for existing, key in where_in(connection, query, d.data_id_key, keys):
                raise ConflictingDefinitionError(
                    f"dataset {identities[(type_id, run_id, key)]} cannot be imported: dataset {existing} "
                    "already has its dataset type, run and data ID")

    # -- lookups ------------------------------------------------------------------------------

    def find(self, connection: sa.Connection, dataset_type: DatasetType, normalized: Sequence[DataId],
             collections: str | Sequence[str]) -> list[DatasetRef | None]:
        """For each normalized DataId, the dataset found first in the ``collections`` search path, or None."""
        type_id, definition = self._types.get(connection, dataset_type.name)
        wanted = [d.key() for d in normalized]
        keys = list(dict.fromkeys(wanted))
        remembered = self._collections.remembered(collections)
        if remembered is not None and len(keys) <= IN_CHUNK:
            # A chain resolved before: one statement that also checks the chain version, not two.
            found = self._find_guarded(connection, definition, type_id, keys, remembered)
            if found is not None:
                return [found.get(key) for key in wanted]
        search = self._collections.resolve(connection, collections)
        rank, runs, tags = search.rank, search.run_ids, search.tagged_ids
        chain = search.chain_id
        best: dict[str, tuple[int, Sequence[Any]]] = {}
        if len(keys) == 1 and len(runs) == 1 and not tags:  # the common single get: one unique-index probe
            statement = self._find_statement(definition, "run", True, False)
            keep_first(best, driver.rows(connection, statement, {"type_id": type_id, "run": runs[0], "key": keys[0]}),
                       rank)
            keys = []
        for part in chunks(keys):
            one = len(part) == 1
            given = {"type_id": type_id, "key": part[0]} if one else {"type_id": type_id, "keys": list(part)}
            for kind, ids in (("runs", runs), ("tags", tags)):
                if not ids:
                    continue
                if chain is not None:  # rows carry their rank: the chain as this statement reads it
                    statement = self._find_statement(definition, f"chain_{kind}", one, False)
                    keep_first(best, driver.rows(connection, statement, {**given, "chain": chain}), None)
                else:
                    statement = self._find_statement(definition, kind, one, False)
                    keep_first(best, driver.rows(connection, statement, {**given, kind: ids}), rank)
        found = self._found(connection, definition, best)
        return [found.get(key) for key in wanted]

    def _find_guarded(self, connection: sa.Connection, definition: DatasetType, type_id: int, keys: list[str],
                      remembered: tuple[SearchPath, dict[str, str]]) -> dict[str, DatasetRef] | None:
        """The datasets found first for ``keys`` in a remembered search path by one statement guarded by the
        chain versions (``remembered``: the path and the guard's parameters).

        None when it must be asked again: no rows (the chains may have changed), or a search through
        both RUN and TAGGED collections (two statements, two snapshots).
        """
        search, guard = remembered
        runs, tags = search.run_ids, search.tagged_ids
        if bool(runs) == bool(tags):
            return None
        kind, ids = ("runs", runs) if runs else ("tags", tags)
        one = len(keys) == 1
        given: dict[str, Any] = {"key": keys[0]} if one else {"keys": keys}
        rank: dict[int, int] | None = search.rank
        if search.chain_id is not None:
            kind, rank = f"chain_{kind}", None
            given["chain"] = search.chain_id
        else:
            given[kind] = ids
        statement = self._find_statement(definition, kind, one, True)
        rows = driver.rows(connection, statement, {"type_id": type_id, **given, **guard})
        if not rows:
            return None
        best: dict[str, tuple[int, Sequence[Any]]] = {}
        keep_first(best, rows, rank)
        return self._found(connection, definition, best)

    def _found(self, connection: sa.Connection, definition: DatasetType,
               best: dict[str, tuple[int, Sequence[Any]]]) -> dict[str, DatasetRef]:
        """The refs of the rows ``keep_first`` kept, by data ID key."""
        refs = self._refs_of_type(connection, definition, [row[2:] for _, row in best.values()])
        return dict(zip(best, refs, strict=True))

    def _find_statement(self, definition: DatasetType, kind: str, one: bool, guarded: bool) -> sa.Select[Any]:
        """The find of datasets of ``definition``'s units by data ID key in one RUN (``kind`` "run"), in
        RUNs ("runs") or in TAGGED collections ("tags"), or in those a chain's search reaches ("chain_runs",
        "chain_tags"), for one key or several, checking the chain versions if ``guarded``.

        Rows are (data ID key, collection found in or, through a chain, its rank there, ``_type_columns``):
        only the type's columns, since each column read costs the driver per row (on PostgreSQL, a fifth
        of a find by DataId).
        """
        cache_key = (definition.units, kind, one, guarded)
        statement = self._finds.get(cache_key)
        if statement is not None:
            return statement
        d, t, s = self._schema.dataset.c, self._schema.dataset_tag.c, self._schema.chain_search.c
        columns = self._type_columns(definition)
        in_chain = s.chain_id == sa.bindparam("chain", type_=sa.Integer())
        if kind == "chain_tags":  # found by key, then the chain's row by its primary key: flat in the chain's length
            statement = (sa.select(t.data_id_key, s.position, *columns)
                         .join_from(self._schema.dataset_tag, self._schema.dataset, t.dataset_id == d.id)
                         .join(self._schema.chain_search, sa.and_(in_chain, s.member_id == t.collection_id))
                         .where(t.dataset_type_id == sa.bindparam("type_id")))
            key_column = t.data_id_key
        elif kind == "chain_runs":
            statement = (sa.select(d.data_id_key, s.position, *columns)
                         .join_from(self._schema.dataset, self._schema.chain_search,
                                    sa.and_(in_chain, s.member_id == d.run_id))
                         .where(d.dataset_type_id == sa.bindparam("type_id")))
            key_column = d.data_id_key
        elif kind == "tags":
            statement = sa.select(t.data_id_key, t.collection_id, *columns).join_from(
                self._schema.dataset_tag, self._schema.dataset, t.dataset_id == d.id).where(
                t.dataset_type_id == sa.bindparam("type_id"), one_of(t.collection_id, "tags"))
            key_column = t.data_id_key
        else:
            statement = sa.select(d.data_id_key, d.run_id, *columns).where(d.dataset_type_id == sa.bindparam("type_id"))
            statement = statement.where(d.run_id == sa.bindparam("run") if kind == "run" else one_of(d.run_id, "runs"))
            key_column = d.data_id_key
        # One key is bound alone: an expanding list is rewritten into the text at every run.
        statement = statement.where(key_column == sa.bindparam("key") if one else
                                    key_column.in_(sa.bindparam("keys", expanding=True)))
        if guarded:
            statement = statement.where(self._collections.version_guard)
        self._finds[cache_key] = statement
        return statement

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for unknown ids), in order."""
        rows: list[Mapping[Any, Any]] = []
        if len(ids) == 1:  # the common single read: no IN-list expansion
            rows.extend(driver.mappings(connection, self._by_id, {"id": ids[0]}))
        else:
            rows.extend(row._mapping for row in where_in(connection, self._all_columns, self._schema.dataset.c.id,
                                                         list(dict.fromkeys(ids))))
        by_id = {ref.id: ref for ref in self.refs(connection, rows)}
        return [by_id.get(i) for i in ids]

    def in_collection(self, connection: sa.Connection, collection: str,
                      dataset_type: str | None) -> list[DatasetRef]:
        """Datasets directly in ``collection`` (chains followed in order), each once."""
        with collector_paused():  # rows and refs are many acyclic objects: see collector_paused
            return self._in_collection(connection, collection, dataset_type)

    def _in_collection(self, connection: sa.Connection, collection: str,
                       dataset_type: str | None) -> list[DatasetRef]:
        if dataset_type is None:
            rows = self._rows_in_collection(connection, collection, [self._schema.dataset], None)
            return self.refs(connection, [row._mapping for row in rows])
        # With a DatasetType, only its columns are read: rows of every unit column cost more to
        # fetch than the refs cost to build.
        type_id, definition = self._types.get(connection, dataset_type)
        rows = self._rows_in_collection(connection, collection, self._type_columns(definition), type_id)
        return self._refs_of_type(connection, definition, rows)

    def ids_in_collection(self, connection: sa.Connection, collection: str) -> list[uuid.UUID]:
        """The ids of ``in_collection(collection, None)``, in its order: no refs built."""
        column = uuid_column(self._schema.dataset.c.id)
        return [uuid_from_db(row[0]) for row in self._rows_in_collection(connection, collection, [column], None)]

    def _rows_in_collection(self, connection: sa.Connection, collection: str,
                            columns: Sequence[sa.FromClause | sa.ColumnElement[Any]],
                            type_id: int | None) -> list[sa.Row[Any]]:
        """``columns`` (the dataset id first) of the datasets in ``collection``, each once, in order."""
        d, t, c = self._schema.dataset.c, self._schema.dataset_tag.c, self._schema.dataset_calib.c
        records = self._collections.resolve(connection, collection)
        rows: dict[Any, sa.Row[Any]] = {}
        for record in records:
            if record.kind is CollectionKind.RUN:
                query = sa.select(*columns).where(d.run_id == record.id)
            elif record.kind is CollectionKind.CALIBRATION:  # a dataset certified for several ranges is listed once
                certified = sa.select(c.dataset_id).where(c.collection_id == record.id)
                query = sa.select(*columns).where(d.id.in_(certified))
            else:
                query = (sa.select(*columns)
                         .join_from(self._schema.dataset_tag, self._schema.dataset, t.dataset_id == d.id)
                         .where(t.collection_id == record.id))
            if type_id is not None:
                query = query.where(d.dataset_type_id == type_id)
            found = connection.execute(query.order_by(d.dataset_type_id, d.data_id_key)).all()
            if len(records) == 1:
                return list(found)  # one RUN or TAGGED collection holds each dataset once
            for row in found:
                rows.setdefault(row[0], row)
        return list(rows.values())

    def remove(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> None:
        """Forget datasets, their artifact records and tags; quanta naming them are kept."""
        self._layout.check_datasets(connection, ids, "remove datasets")
        s = self._layout.writes
        distinct = list(dict.fromkeys(ids))
        # Rows whose foreign key cascades go with their dataset: deleting them first would probe
        # each index twice (half the time of removing 5 x 10^4 datasets on SQLite). A layered
        # registry's personal tags and certifications have no such key (they may name the release's).
        for column in (s.dataset_artifact.c.dataset_id, s.dataset_tag.c.dataset_id, s.dataset_calib.c.dataset_id):
            if not any(key.ondelete == "CASCADE" and key.column is s.dataset.c.id for key in column.foreign_keys):
                delete_many(connection, column, distinct)
        delete_many(connection, s.dataset.c.id, distinct)


def keep_first(best: dict[str, tuple[int, Sequence[Any]]], rows: Iterable[Sequence[Any]],
               rank: Mapping[int, int] | None) -> None:
    """Keep in ``best`` each data ID key's row (key, collection, ...) from the collection that ranks first.

    Without ``rank``, a row's second value is its rank already (found through ``chain_search``).
    """
    for row in rows:
        key, position = row[0], (row[1] if rank is None else rank[row[1]])
        if key not in best or position < best[key][0]:
            best[key] = (position, row)
