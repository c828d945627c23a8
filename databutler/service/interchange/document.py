"""The content of an export file, as databutler sees it, and its conversion from and to the file's mapping.

The file format is the reference system's ("Butler Data Repository Export"): a ``data`` list of
``dimension``, ``collection`` (or the older ``run``), ``dataset_type``, ``dataset`` and
``associations`` entries. Format 0 (older files: one id and one data ID per record, integer
dataset ids) and 1.x up to ``FORMAT_VERSION`` are read; ``FORMAT_VERSION`` is written.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ...domain.collection import CollectionKind
from ...domain.errors import DataIdError, ExportFormatError
from ...domain.region import coerce_region
from ...domain.universe import DataUnitType, Universe
from ...domain.values import FieldType, Timespan
from . import names
from .old_universes import OldUniverse
from .yaml_tags import TaiTime, region_for_export

DESCRIPTION = "Butler Data Repository Export"
FORMAT_VERSION = (1, 0, 2)

WRITER_KEY, WRITER, COUNT_KEY = "writer", "databutler", "data_entries"
"""databutler names itself before ``data`` and counts its entries after it (keys the reference ignores),
so a file of its own cut anywhere, even between two entries, is known to be truncated."""

_INTEGER_ID_NAMESPACE = uuid.UUID("4d4851f4-2890-4d41-8779-5f38a3f5062b")
"""Format 0 files number datasets; the reference turns number n into uuid3(this namespace, str(n))."""


@attrs.frozen
class CollectionEntry:
    """A collection of the file: RUN, TAGGED, CALIBRATION or CHAINED (with its children)."""

    name: str
    kind: CollectionKind
    doc: str = ""
    children: tuple[str, ...] = ()


@attrs.frozen
class DatasetTypeEntry:
    """A dataset type of the file, in databutler's names."""

    name: str
    units: tuple[str, ...]
    storage_class: str
    is_calibration: bool = False


@attrs.frozen
class ValidityRange:
    """Datasets certified in a CALIBRATION collection of the file for one validity range."""

    timespan: Timespan
    dataset_ids: tuple[uuid.UUID, ...]


@attrs.frozen
class FileEntry:
    """One file of the file: the datasets it holds (usually one), their run and type, and its path."""

    dataset_type: str
    run: str
    ids: tuple[uuid.UUID, ...]
    data_ids: tuple[Mapping[str, Any], ...]
    path: str | None
    formatter: str | None
    """databutler's formatter name, or None to choose by file extension."""


@attrs.frozen
class ExportDocument:
    """Everything an export file says, checked and in databutler's terms."""

    universe_namespace: str
    universe_version: int
    records: Mapping[str, Sequence[Mapping[str, Any]]]
    dataset_types: tuple[DatasetTypeEntry, ...]
    collections: tuple[CollectionEntry, ...]
    files: tuple[FileEntry, ...]
    tagged: Mapping[str, tuple[uuid.UUID, ...]]
    certified: Mapping[str, tuple[ValidityRange, ...]] = attrs.field(factory=dict)
    """The validity ranges of each CALIBRATION collection."""


# -- reading ------------------------------------------------------------------------------------


def _version(wrapper: Mapping[str, Any], name: str) -> tuple[int, ...]:
    raw = wrapper.get("version")
    if raw == 0:
        return (1, 0, 0)  # the unversioned files written before versioning
    try:
        parts = tuple(int(p) for p in str(raw).split("."))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise ExportFormatError(f"{name}: export format version {raw!r} is not 'major.minor.patch'")
    if parts[0] != FORMAT_VERSION[0] or parts[1] > FORMAT_VERSION[1]:
        written = ".".join(map(str, FORMAT_VERSION))
        raise ExportFormatError(f"{name}: export format version {raw} is not one databutler reads (it reads "
                                f"{FORMAT_VERSION[0]}.x up to {written}); export it again with an older version")
    return parts


def _dataset_id(value: Any, where: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return uuid.uuid3(_INTEGER_ID_NAMESPACE, str(value))
    raise ExportFormatError(f"{where}: dataset id {value!r} is neither a UUID nor an integer")


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class _Reader:
    """Turns the file's mapping into an ExportDocument for ``universe``, checking as it goes."""

    def __init__(self, wrapper: Any, universe: Universe, name: str) -> None:
        if not isinstance(wrapper, Mapping) or wrapper.get("description") != DESCRIPTION:
            raise ExportFormatError(f"{name} is not a butler export file (no 'description: {DESCRIPTION}')")
        if not isinstance(wrapper.get("data"), list):
            raise ExportFormatError(f"{name} has no 'data' list; is the file complete?")
        if wrapper.get(WRITER_KEY) == WRITER and wrapper.get(COUNT_KEY) != len(wrapper["data"]):
            raise ExportFormatError(f"{name} is truncated: it ends after {len(wrapper['data'])} data entries, before "
                                    "the entry count databutler writes at its end")
        self.name = name
        self.version = _version(wrapper, name)
        self.universe = universe
        self.namespace = str(wrapper.get("universe_namespace", "daf_butler"))
        self.universe_version = int(wrapper.get("universe_version", 0))
        self.wrapper = wrapper
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.types: dict[str, DatasetTypeEntry] = {}
        self.collections: dict[str, CollectionEntry] = {}
        self.files: list[FileEntry] = []
        self.tagged: dict[str, list[uuid.UUID]] = {}
        self.old = OldUniverse(self.namespace, self.universe_version, universe)
        self.certified: dict[str, list[ValidityRange]] = {}

    def read(self) -> ExportDocument:
        for index, entry in enumerate(self.wrapper["data"]):
            where = f"{self.name}, data entry {index + 1}"
            if not isinstance(entry, Mapping) or "type" not in entry:
                raise ExportFormatError(f"{where} is not a mapping with a 'type'")
            kind = entry["type"]
            handler = getattr(self, f"_{kind}", None) if isinstance(kind, str) else None
            if handler is None:
                raise ExportFormatError(f"{where} has the unknown type {kind!r}")
            try:
                handler(entry, where)
            except KeyError as err:
                raise ExportFormatError(f"{where} ({kind}) lacks {err}") from None
        for element, added in self.old.added(self.records).items():
            fields = {f.name: f for f in self.universe.record_fields(element)}
            self.records[element] = [self._record(element, r, fields) for r in added]
        ordered = {u.name: self.records[u.name] for u in self.universe.elements if u.name in self.records}
        return ExportDocument(self.namespace, self.universe_version, ordered, tuple(self.types.values()),
                              tuple(self.collections.values()), tuple(self.files),
                              {k: tuple(v) for k, v in self.tagged.items()},
                              {k: tuple(v) for k, v in self.certified.items()})

    def _universe_lacks(self, what: str) -> ExportFormatError:
        return ExportFormatError(
            f"{what}, which databutler's universe ({self.universe.namespace} version "
            f"{self.universe.version}) lacks; the file was written with universe {self.namespace} version "
            f"{self.universe_version}")

    def _dimension(self, entry: Mapping[str, Any], where: str) -> None:
        element = str(entry["element"])
        if element not in self.universe:
            raise self._universe_lacks(f"{where} holds records of the element {element!r}")
        fields = {f.name: f for f in self.universe.record_fields(element)}
        converted = self.records.setdefault(element, [])
        for raw in entry["records"] or ():
            if not isinstance(raw, Mapping):
                raise ExportFormatError(f"{where}: a record of {element!r} is not a mapping")
            converted.append(self._record(element, dict(raw), fields))

    def _record(self, element: str, record: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
        self.old.record(element, record)
        if names.TIMESPAN_FIELD in fields and (names.TIMESPAN_BEGIN in record or names.TIMESPAN_END in record):
            begin, end = record.pop(names.TIMESPAN_BEGIN, None), record.pop(names.TIMESPAN_END, None)
            record[names.TIMESPAN_FIELD] = Timespan(_utc(begin), _utc(end))
        for field_name, value in list(record.items()):
            spec = fields.get(field_name)
            if spec is None:
                raise self._universe_lacks(f"{self.name}: a record of {element!r} has the field {field_name!r}")
            if isinstance(value, bytes) and (element, field_name) in names.BINARY_FIELDS:
                record[field_name] = value.hex()
            elif value is not None and spec.type is FieldType.REGION:
                try:
                    record[field_name] = coerce_region(value, f"{element} record field {field_name!r}")
                except DataIdError as err:
                    raise ExportFormatError(f"{self.name}: {err}") from None
            elif isinstance(value, datetime.datetime) and spec.type is FieldType.DATETIME:
                record[field_name] = _utc(value)
        return record

    def _collection(self, entry: Mapping[str, Any], where: str) -> None:
        name, kind = str(entry["name"]), str(entry["collection_type"])
        doc = entry.get("doc") or ""
        try:
            collection_kind = CollectionKind(kind)
        except ValueError:
            raise ExportFormatError(f"{where}: collection {name!r} has the unknown kind {kind!r}") from None
        children: list[str] = []
        for child in entry.get("children") or ():
            # Old files restricted a child to some dataset types: [name, types]; the restriction is dropped.
            children.append(str(child[0] if isinstance(child, list | tuple) else child))
        self.collections[name] = CollectionEntry(name, collection_kind, str(doc), tuple(children))

    def _run(self, entry: Mapping[str, Any], where: str) -> None:
        name = str(entry["name"])
        self.collections[name] = CollectionEntry(name, CollectionKind.RUN, str(entry.get("doc") or ""))

    def _dataset_type(self, entry: Mapping[str, Any], where: str) -> None:
        name = str(entry["name"])
        units = self.old.dataset_type_units([str(u) for u in entry["dimensions"]])
        for unit in units:
            if unit not in self.universe:
                raise self._universe_lacks(f"{self.name}: dataset type {name!r} is labelled by {unit!r}")
        # A unit implied by another one listed (band by physical_filter) stays implied.
        kept = tuple(u for u in units if u not in self.universe.implied([v for v in units if v != u]))
        storage_class = entry.get("databutler_storage_class") or names.databutler_storage_class(
            str(entry["storage_class"]))
        self.types[name] = DatasetTypeEntry(name, kept, str(storage_class), bool(entry.get("is_calibration")))

    def _dataset(self, entry: Mapping[str, Any], where: str) -> None:
        dataset_type, run = str(entry["dataset_type"]), str(entry["run"])
        for record in entry["records"] or ():
            ids = tuple(_dataset_id(i, where) for i in _listed(record["dataset_id"]))
            data_ids = tuple(dict(d) for d in _listed(record["data_id"]))
            if len(ids) != len(data_ids):
                raise ExportFormatError(f"{where}: a record of {dataset_type!r} has {len(ids)} ids but "
                                        f"{len(data_ids)} data IDs")
            formatter = record.get("databutler_formatter")
            if formatter is None and record.get("formatter") is not None:
                formatter = names.DATABUTLER_FORMATTER.get(str(record["formatter"]))
            path = record.get("path")
            self.files.append(FileEntry(dataset_type, run, ids, data_ids, None if path is None else str(path),
                                        None if formatter is None else str(formatter)))

    def _associations(self, entry: Mapping[str, Any], where: str) -> None:
        collection, kind = str(entry["collection"]), str(entry["collection_type"])
        if kind == "CALIBRATION":
            ranges = self.certified.setdefault(collection, [])
            for validity in entry["validity_ranges"] or ():
                if "timespan" in validity:
                    span = validity["timespan"]  # None: the reference's EMPTY timespan, which validates nothing
                else:  # older files: begin and end beside the ids
                    span = Timespan(_utc(validity.get("begin")), _utc(validity.get("end")))
                if span is None:
                    continue
                if not isinstance(span, Timespan):
                    raise ExportFormatError(f"{where}: a validity range of {collection!r} is not a timespan: {span!r}")
                ranges.append(ValidityRange(span, tuple(_dataset_id(i, where) for i in validity["dataset_ids"])))
            return
        if kind != "TAGGED":
            raise ExportFormatError(f"{where}: associations of a {kind} collection ({collection!r})")
        self.tagged.setdefault(collection, []).extend(_dataset_id(i, where) for i in entry["dataset_ids"])


def _utc(value: Any) -> datetime.datetime | None:
    if value is None or (isinstance(value, datetime.datetime) and value.tzinfo is None):
        return value
    if isinstance(value, datetime.datetime):  # older files: native YAML timestamps, taken as UTC
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    raise ExportFormatError(f"{value!r} is not a time")


def read_document(wrapper: Any, universe: Universe, name: str) -> ExportDocument:
    """The ExportDocument of ``wrapper`` (an export file's YAML) for a repository of ``universe``.

    ExportFormatError, naming ``name``, for a file that is not an export, has an unknown format
    version, or holds something ``universe`` cannot express or databutler cannot hold.
    """
    return _Reader(wrapper, universe, name).read()


# -- writing ------------------------------------------------------------------------------------


def _record_for_file(element: str, record: Mapping[str, Any], universe: Universe) -> dict[str, Any]:
    fields = {f.name: f for f in universe.record_fields(element)}
    written: dict[str, Any] = {}
    for name, value in record.items():
        spec = fields.get(name)
        if spec is None or (value is None and spec.type is not FieldType.TIMESPAN):
            continue
        if name == names.TIMESPAN_FIELD and spec.type is FieldType.TIMESPAN:
            span = value if isinstance(value, Timespan) else None
            written[names.TIMESPAN_BEGIN] = None if span is None or span.begin is None else TaiTime(span.begin)
            written[names.TIMESPAN_END] = None if span is None or span.end is None else TaiTime(span.end)
        elif value is not None and spec.type is FieldType.REGION:
            written[name] = region_for_export(value)
        elif value is not None and spec.type is FieldType.DATETIME:
            written[name] = TaiTime(value)
        elif isinstance(value, str) and (element, name) in names.BINARY_FIELDS:
            try:
                written[name] = bytes.fromhex(value)
            except ValueError:
                written[name] = value
        else:
            written[name] = value
    return written


def write_document(document: ExportDocument, universe: Universe) -> dict[str, Any]:
    """The file mapping of ``document``, in the reference's layout and names."""
    data: list[dict[str, Any]] = []
    for element, records in document.records.items():
        definition = universe.element(element)
        if isinstance(definition, DataUnitType) and definition.populated_by is not None:
            continue  # band: filled in from physical_filter records, in both systems
        if records:
            data.append({"type": "dimension", "element": element,
                         "records": [_record_for_file(element, r, universe) for r in records]})
    for collection in document.collections:
        entry: dict[str, Any] = {"type": "collection", "collection_type": collection.kind.value,
                                 "name": collection.name}
        if collection.doc:
            entry["doc"] = collection.doc
        if collection.kind is CollectionKind.RUN:
            entry.update(host=None, timespan_begin=None, timespan_end=None)
        elif collection.kind is CollectionKind.CHAINED:
            entry["children"] = list(collection.children)
        data.append(entry)
    files_by_type: dict[str, dict[str, list[FileEntry]]] = {}
    for file in document.files:
        files_by_type.setdefault(file.dataset_type, {}).setdefault(file.run, []).append(file)
    for dataset_type in document.dataset_types:
        reference_class = names.reference_storage_class(dataset_type.storage_class)
        type_entry: dict[str, Any] = {
            "type": "dataset_type", "name": dataset_type.name,
            "dimensions": list(universe.sort_names([*dataset_type.units, *universe.implied(dataset_type.units)])),
            "storage_class": reference_class, "is_calibration": dataset_type.is_calibration}
        if reference_class != dataset_type.storage_class:
            type_entry["databutler_storage_class"] = dataset_type.storage_class
        data.append(type_entry)
        for run, files in files_by_type.get(dataset_type.name, {}).items():
            data.append({"type": "dataset", "dataset_type": dataset_type.name, "run": run,
                         "records": [_file_for_file(f) for f in files]})
    for collection_name, ids in document.tagged.items():
        data.append({"type": "associations", "collection": collection_name, "collection_type": "TAGGED",
                     "dataset_ids": list(ids)})
    for collection_name, ranges in document.certified.items():
        data.append({"type": "associations", "collection": collection_name, "collection_type": "CALIBRATION",
                     "validity_ranges": [{"timespan": r.timespan, "dataset_ids": list(r.dataset_ids)} for r in ranges]})
    return {"description": DESCRIPTION, "version": ".".join(map(str, FORMAT_VERSION)),
            "universe_version": document.universe_version, "universe_namespace": document.universe_namespace,
            WRITER_KEY: WRITER, "data": data, COUNT_KEY: len(data)}


def _file_for_file(file: FileEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"dataset_id": list(file.ids), "data_id": [dict(d) for d in file.data_ids],
                             "path": file.path}
    reference = names.REFERENCE_FORMATTER.get(file.formatter or "")
    if reference is not None:
        entry["formatter"] = reference
    elif file.formatter is not None:
        entry["databutler_formatter"] = file.formatter
    return entry
