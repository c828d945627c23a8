"""Datasets in the Data Backbone: a DESFILE row plus a row of its file type's metadata table.

A dataset's RUN is its DESFILE.PFW_ATTEMPT_ID (the delivered run when null), its DataId the
mapped columns of its metadata row, its UUID the ``DBB_DATASET`` row databutler wrote or the one
derived from DESFILE.ID (``ids``). A dataset databutler registers before its file exists gets the
placeholder FILENAME ``<dataset type>-<uuid hex>``; recording its artifact renames it to the file's
name (see ``artifacts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.collection import CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef
from ...domain.errors import ConflictingDefinitionError
from ...domain.universe import Universe
from ..sql.data_units import DataUnitManager
from ..sql.dialect import chunks, uuid_from_db
from .catalog import MODULE, Catalog, now
from .collections import DELIVERED, CollectionRecord, Collections
from .dataset_types import DatasetTypes, TypeRecord
from .ids import file_id_of, file_uuid
from .keys import key_parameters, listed_keys, wanted_keys

RANK = "search_rank"
_LOCK_SPACE = 0x0DBB
"""The first key of the PostgreSQL advisory locks the DBB registry takes (the second is the attempt id)."""


def placeholder_name(dataset_type: str, dataset_id: uuid.UUID) -> str:
    """The FILENAME of a dataset whose file is not written yet."""
    return f"{dataset_type}-{dataset_id.hex}"


class Datasets:
    """Inserts, finds, lists and removes datasets of registered DatasetTypes."""

    def __init__(self, universe: Universe, catalog: Catalog, types: DatasetTypes, collections: Collections,
                 data_units: DataUnitManager) -> None:
        self._universe = universe
        self._catalog = catalog
        self._types = types
        self._collections = collections
        self._data_units = data_units
        self._statements: dict[tuple[Any, ...], sa.Select[Any]] = {}
        """Finds of one DataId, by DatasetType and search-path shape, with bound parameters (built once)."""

    @property
    def catalog(self) -> Catalog:
        """The tables this works on."""
        return self._catalog

    @property
    def types(self) -> DatasetTypes:
        """The registered DatasetTypes."""
        return self._types

    def clear_cache(self) -> None:
        """Forget the built statements (after a rollback: a DatasetType may be gone)."""
        self._statements.clear()

    # -- the relation of one DatasetType --------------------------------------------------------

    def carried(self, record: TypeRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The required DataUnits of ``record`` and the implied ones its metadata table has columns for."""
        units = record.definition.units
        implied = tuple(u for u in self._universe.implied(units) if u in record.table.columns)
        return units, implied

    def source(self, record: TypeRecord, *, wanted: sa.FromClause | None = None,
               equal: Mapping[str, Any] | None = None) -> sa.Select[Any]:
        """Every dataset of ``record``: id (null when derived), desfile_id, run_id, then its DataUnit columns.

        ``wanted`` (a VALUES list of DataIds, one column per required DataUnit) or ``equal`` (one
        DataId) keeps only those DataIds, compared on the metadata columns themselves so that an
        index on them is used (a condition on the selected, relabelled columns would hide it).
        """
        desdm, side = self._catalog.desdm, self._catalog.side
        f, x, meta = desdm.desfile, side.dataset, record.table
        units, implied = self.carried(record)
        columns = [x.c.dataset_id.label("id"), f.c.ID.label("desfile_id"),
                   sa.func.coalesce(f.c.PFW_ATTEMPT_ID, DELIVERED).label("run_id"),
                   *(meta.value(self._universe, u).label(u) for u in (*units, *implied))]
        labelled: sa.FromClause = meta.table
        if wanted is not None:  # the DataIds first: each is looked up in the metadata table
            labelled = wanted.join(meta.table, sa.and_(*(meta.value(self._universe, u) == wanted.c[u]
                                                         for u in units)))
        joined = labelled.join(f, meta.table.c.FILENAME == f.c.FILENAME).outerjoin(x, x.c.desfile_id == f.c.ID)
        query = sa.select(*columns).select_from(joined).where(f.c.FILETYPE == record.definition.name)
        if equal is not None:
            query = query.where(*(meta.value(self._universe, u) == equal[u] for u in units))
        return query

    def search(self, record: TypeRecord, search: Sequence[CollectionRecord], *, ranked: bool,
               wanted: sa.FromClause | None = None, equal: Mapping[str, Any] | None = None,
               bound: bool = False) -> sa.Select[Any]:
        """The datasets of ``record`` in the RUN and TAGGED collections ``search`` (with their rank if ``ranked``).

        One part per way of being in a collection, united: RUNs by DESFILE.PFW_ATTEMPT_ID (the
        delivered run by a null one), a TAGGED collection by its one-by-one members and by its
        PROCTAG attempts, each a condition an index serves (an OR of them would not be). ``bound``
        names the attempts and tags as parameters ``run_<i>`` and ``tag_<i>`` (``i``: the position in
        ``search``), so that the statement serves every search path of the same shape.
        """
        desdm, side = self._catalog.desdm, self._catalog.side
        f = desdm.desfile.c
        parts: list[sa.Select[Any]] = []

        def add(condition: sa.ColumnElement[bool], rank: int) -> None:
            part = self.source(record, wanted=wanted, equal=equal).where(condition)
            parts.append(part.add_columns(sa.literal(rank, sa.Integer()).label(RANK)) if ranked else part)

        runs = [(i, r) for i, r in enumerate(search) if r.kind is CollectionKind.RUN]
        attempts = [r.id for _, r in runs if r.id != DELIVERED]
        if attempts and not ranked:
            add(f.PFW_ATTEMPT_ID.in_(attempts), 0)
        for i, run in runs:
            if run.id == DELIVERED:
                add(f.PFW_ATTEMPT_ID.is_(None), i)
            elif ranked:
                add(f.PFW_ATTEMPT_ID == (sa.bindparam(f"run_{i}", type_=sa.Integer()) if bound else run.id), i)
        for i, tag in ((i, r) for i, r in enumerate(search) if r.kind is CollectionKind.TAGGED):
            name: Any = sa.bindparam(f"tag_{i}", type_=sa.Text()) if bound else tag.name
            add(f.ID.in_(sa.select(side.tag.c.desfile_id).where(side.tag.c.tag == name)), i)
            add(f.PFW_ATTEMPT_ID.in_(sa.select(desdm.proctag.c.PFW_ATTEMPT_ID).where(desdm.proctag.c.TAG == name)), i)
        if not parts:
            return self.source(record).where(sa.false())
        if len(parts) == 1:
            return parts[0]
        union = sa.union_all(*parts).subquery("found") if ranked else sa.union(*parts).subquery("found")
        return sa.select(*union.c)

    def first_found(self, record: TypeRecord, search: Sequence[CollectionRecord]) -> sa.Select[Any]:
        """The dataset found first in ``search`` for each DataId of ``record``."""
        units, _ = self.carried(record)
        if len(search) <= 1:
            return self.search(record, search, ranked=False)
        found = self.search(record, search, ranked=True).subquery("ranked")
        number = sa.func.row_number().over(partition_by=[found.c[u] for u in units],
                                           order_by=found.c[RANK]).label("position")
        numbered = sa.select(*(c for c in found.c if c.name != RANK), number).subquery("numbered")
        return sa.select(*(c for c in numbered.c if c.name != "position")).where(numbered.c.position == 1)

    # -- rows -> refs -------------------------------------------------------------------------

    def refs(self, connection: sa.Connection, record: TypeRecord, rows: Iterable[Any]) -> list[DatasetRef]:
        """DatasetRefs of ``record`` for rows of ``source``/``search`` (implied values completed from records)."""
        rows = list(rows)
        units, carried = self.carried(record)
        names = self._collections.run_names(connection, {int(r["run_id"]) for r in rows})
        data_ids = self._complete(connection, units, carried, rows)
        refs = []
        for row, data_id in zip(rows, data_ids, strict=True):
            dataset_id = uuid_from_db(row["id"]) if row["id"] is not None else file_uuid(int(row["desfile_id"]))
            refs.append(DatasetRef(record.definition, data_id, names[int(row["run_id"])], dataset_id))
        return refs

    def _complete(self, connection: sa.Connection, units: tuple[str, ...], carried: tuple[str, ...],
                  rows: list[Any]) -> list[DataId]:
        implied = self._universe.implied(units)
        values = [{u: row[u] for u in units} for row in rows]
        known = [{u: row[u] for u in carried if row[u] is not None} for row in rows]
        missing = [u for u in implied if u not in carried]
        if missing:  # from the DataUnit records, where there are some: production's files may have none
            for unit in (*units, *implied):
                implies = self._universe.unit(unit).implies
                if not implies or not any(i in missing for i in implies):
                    continue
                fields = self._universe.required(unit)
                keys: set[tuple[Any, ...]] = {tuple({**v, **k}.get(f) for f in fields)
                                              for v, k in zip(values, known, strict=True)}
                found = self._data_units.lookup(connection, unit, [k for k in keys if None not in k])
                for v, k in zip(values, known, strict=True):
                    wanted_key: tuple[Any, ...] = tuple({**v, **k}.get(f) for f in fields)
                    hit = found.get(wanted_key)
                    for name, value in (hit or {}).items():
                        if value is not None:
                            k.setdefault(name, value)
        return [DataId(v, {u: k[u] for u in implied if u in k}) for v, k in zip(values, known, strict=True)]

    # -- reads --------------------------------------------------------------------------------

    def find(self, connection: sa.Connection, record: TypeRecord, data_ids: Sequence[DataId],
             search: Sequence[CollectionRecord]) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in ``search``, or None."""
        units, _ = self.carried(record)
        if not search or not data_ids:
            return [None] * len(data_ids)
        best: dict[tuple[Any, ...], tuple[int, Any]] = {}
        wanted = list(dict.fromkeys(tuple(d[u] for u in units) for d in data_ids))
        for part in chunks(wanted):
            query, parameters = self._statement(connection.dialect.name, record, search, part)
            for row in connection.execute(query, parameters).mappings():
                key = tuple(row[u] for u in units)
                rank = int(row[RANK])
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, row)
        keys = list(best)
        refs = dict(zip(keys, self.refs(connection, record, [best[k][1] for k in keys]), strict=True))
        return [refs.get(tuple(d[u] for u in units)) for d in data_ids]

    def _statement(self, dialect: str, record: TypeRecord, search: Sequence[CollectionRecord],
                   keys: Sequence[tuple[Any, ...]]) -> tuple[sa.Select[Any], dict[str, Any]]:
        """The statement finding ``keys`` in ``search`` (built once per type, shape and one/many) and its parameters."""
        units = record.definition.units
        one = len(keys) == 1
        shape = (record.id, one, tuple((r.kind, r.id == DELIVERED) for r in search))
        statement = self._statements.get(shape)
        if statement is None:
            types = [record.table.value(self._universe, u).type for u in units]
            if one:
                equal = {u: sa.bindparam(f"unit_{u}", type_=kind) for u, kind in zip(units, types, strict=True)}
                statement = self.search(record, search, ranked=True, equal=equal, bound=True)
            else:
                listed = wanted_keys(dialect, units, types)
                if listed is None:  # a database without JSON or arrays: the keys go in the statement itself
                    wanted = listed_keys(units, types, keys)
                    return (self.search(record, search, ranked=True, wanted=wanted, bound=True),
                            _collection_parameters(search))
                statement = self.search(record, search, ranked=True, wanted=listed, bound=True)
            self._statements[shape] = statement
        parameters = ({f"unit_{u}": v for u, v in zip(units, keys[0], strict=True)} if one
                      else key_parameters(dialect, keys))
        return statement, {**parameters, **_collection_parameters(search)}

    def desfile_ids(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """The DESFILE.ID of each dataset id that exists."""
        x, f = self._catalog.side.dataset.c, self._catalog.desdm.desfile.c
        result: dict[uuid.UUID, int] = {}
        derived = {i: n for i in ids if (n := file_id_of(i)) is not None}
        for part in chunks(list(derived.values())):
            claimed = sa.select(x.desfile_id).where(x.desfile_id.in_(part))
            present = set(connection.execute(sa.select(f.ID).where(f.ID.in_(part), f.ID.not_in(claimed))).scalars())
            result.update({i: n for i, n in derived.items() if n in present})
        others = [i for i in ids if i not in derived]
        for chunk in chunks(others):
            result.update({uuid_from_db(d): n for d, n in connection.execute(
                sa.select(x.dataset_id, x.desfile_id).where(x.dataset_id.in_(chunk)))})
        return result

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for unknown ids), in order."""
        files = self.desfile_ids(connection, ids)
        f = self._catalog.desdm.desfile.c
        by_type: dict[str, list[int]] = {}
        for part in chunks(list(set(files.values()))):
            for file_id, filetype in connection.execute(sa.select(f.ID, f.FILETYPE).where(f.ID.in_(part))):
                by_type.setdefault(filetype, []).append(file_id)
        records = self._types.by_filetypes(connection, set(by_type))
        found: dict[int, DatasetRef] = {}
        for filetype, file_ids in by_type.items():
            record = records.get(filetype)
            if record is None:
                continue
            for part in chunks(file_ids):
                rows = list(connection.execute(self.source(record).where(f.ID.in_(part))).mappings())
                for row, ref in zip(rows, self.refs(connection, record, rows), strict=True):
                    found[int(row["desfile_id"])] = ref
        return [found.get(files[i]) if i in files else None for i in ids]

    def in_collections(self, connection: sa.Connection, search: Sequence[CollectionRecord],
                       records: Sequence[TypeRecord]) -> list[DatasetRef]:
        """Every dataset of ``records`` in these RUN/TAGGED collections (each once), by type and DataId."""
        refs: dict[uuid.UUID, DatasetRef] = {}
        for record in records:
            units, _ = self.carried(record)
            for collection in search:
                query = self.search(record, [collection], ranked=False).subquery("listed")
                rows = list(connection.execute(sa.select(query).order_by(*(query.c[u] for u in units))).mappings())
                for ref in self.refs(connection, record, rows):
                    refs.setdefault(ref.id, ref)
        return list(refs.values())

    def count_in_run(self, connection: sa.Connection, attempt: int) -> int:
        """How many DESFILE rows the attempt holds."""
        f = self._catalog.desdm.desfile.c
        run = f.PFW_ATTEMPT_ID.is_(None) if attempt == DELIVERED else f.PFW_ATTEMPT_ID == attempt
        return int(connection.execute(sa.select(sa.func.count()).where(run)).scalar_one())

    def count_of_type(self, connection: sa.Connection, name: str) -> int:
        """How many DESFILE rows have file type ``name``."""
        f = self._catalog.desdm.desfile.c
        return int(connection.execute(sa.select(sa.func.count()).where(f.FILETYPE == name)).scalar_one())

    # -- writes -------------------------------------------------------------------------------

    def insert(self, connection: sa.Connection, record: TypeRecord, run: CollectionRecord,
               refs: Sequence[DatasetRef]) -> None:
        """Write DESFILE, metadata and DBB_DATASET rows for new datasets of one type and run.

        DESDM has no unique key on (file type, attempt, DataId): on PostgreSQL writers to one run take
        turns (a transaction-scoped advisory lock on the attempt), so that two cannot both find a
        DataId free and both insert it; SQLite has one writer at a time anyway.
        """
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_SPACE, run.id)))
        self._refuse_taken(connection, record, run, refs)
        catalog, desdm, side = self._catalog, self._catalog.desdm, self._catalog.side
        task = run.task_id
        if task is None:  # the delivered run: one task per delivery, as the transfer system records
            task = catalog.new_task(connection, "dts", parent=None, root=None, label=MODULE)
        file_ids = catalog.next_ids(connection, "DESFILE_SEQ", desdm.desfile, len(refs))
        attempt = None if run.id == DELIVERED else run.id
        created = now()
        files, labels, uuids = [], [], []
        table = record.table
        for ref, file_id in zip(refs, file_ids, strict=True):
            name = placeholder_name(record.definition.name, ref.id)
            files.append({"ID": file_id, "PFW_ATTEMPT_ID": attempt, "WGB_TASK_ID": task,
                          "FILETYPE": record.definition.name, "FILENAME": name, "COMPRESSION": None,
                          "FILESIZE": None, "MD5SUM": None, "USER_CREATED_BY": catalog.user,
                          "MODULE_CREATED_BY": MODULE, "CREATED_DATE": created})
            row = {"FILENAME": name, "FILETYPE": record.definition.name, "PFW_ATTEMPT_ID": attempt}
            values = ref.data_id.full
            for unit, column in table.columns.items():
                row[column.key] = _stored(column, values.get(unit))
            labels.append(row)
            uuids.append({"desfile_id": file_id, "dataset_id": ref.id})
        connection.execute(desdm.desfile.insert(), files)
        connection.execute(table.table.insert(), labels)
        connection.execute(side.dataset.insert(), uuids)

    def _refuse_taken(self, connection: sa.Connection, record: TypeRecord, run: CollectionRecord,
                      refs: Sequence[DatasetRef]) -> None:
        units, _ = self.carried(record)
        found = self.find(connection, record, [ref.data_id for ref in refs], [run])
        for ref, other in zip(refs, found, strict=True):
            if other is not None:
                raise ConflictingDefinitionError(
                    f"run {run.name!r} already holds a {record.definition.name} dataset with data ID "
                    f"{dict((u, ref.data_id[u]) for u in units)} (dataset {other.id})")
        taken = self.desfile_ids(connection, [ref.id for ref in refs])
        if taken:
            raise ConflictingDefinitionError(f"dataset id {next(iter(taken))} is already in the registry")

    def remove(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> None:
        """Delete the DESFILE, archive, metadata, provenance-link and side rows of these datasets."""
        files = self.desfile_ids(connection, ids)
        if not files:
            return
        desdm, side = self._catalog.desdm, self._catalog.side
        f = desdm.desfile
        file_ids = sorted(set(files.values()))
        for part in chunks(file_ids):
            names: dict[str, list[str]] = {}
            for filetype, filename in connection.execute(sa.select(f.c.FILETYPE, f.c.FILENAME).where(f.c.ID.in_(part))):
                names.setdefault(filetype, []).append(filename)
            for filetype, record in self._types.by_filetypes(connection, set(names)).items():
                meta = record.table.table
                connection.execute(meta.delete().where(meta.c.FILENAME.in_(names[filetype])))
            derived = desdm.opm_was_derived_from.c
            connection.execute(desdm.opm_was_derived_from.delete().where(
                sa.or_(derived.CHILD_DESFILE_ID.in_(part), derived.PARENT_DESFILE_ID.in_(part))))
            connection.execute(desdm.opm_used.delete().where(desdm.opm_used.c.DESFILE_ID.in_(part)))
            connection.execute(desdm.file_archive_info.delete().where(desdm.file_archive_info.c.DESFILE_ID.in_(part)))
            connection.execute(side.tag.delete().where(side.tag.c.desfile_id.in_(part)))
            connection.execute(side.dataset.delete().where(side.dataset.c.desfile_id.in_(part)))
            connection.execute(f.delete().where(f.c.ID.in_(part)))
        for ids_part in chunks(list(files)):
            connection.execute(side.artifact.delete().where(side.artifact.c.dataset_id.in_(ids_part)))


def _collection_parameters(search: Sequence[CollectionRecord]) -> dict[str, Any]:
    """The bound attempt ids and tag names of a search path (see ``Datasets.search(bound=True)``)."""
    parameters: dict[str, Any] = {}
    for i, collection in enumerate(search):
        if collection.kind is CollectionKind.TAGGED:
            parameters[f"tag_{i}"] = collection.name
        elif collection.id != DELIVERED:
            parameters[f"run_{i}"] = collection.id
    return parameters


def _stored(column: sa.Column[Any], value: Any) -> Any:
    """``value`` as metadata column ``column`` stores it (a day_obs number in the text column NITE)."""
    if value is None:
        return None
    if isinstance(column.type, sa.String) and not isinstance(value, str):
        return str(value)
    return value
