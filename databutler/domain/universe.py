"""DataUnit types, join elements and the universe that holds them, built from a plain mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .errors import UniverseError, UnknownDataUnitError
from .suggestions import hint
from .topology import Topology
from .values import KEY_TYPES, FieldType


@attrs.frozen
class FieldSpec:
    """A named, typed field of a DataUnit record (a key or a metadata column)."""

    name: str
    type: FieldType
    nullable: bool = True
    length: int | None = None
    doc: str = ""
    unique: bool = False
    """An alternate key: no two records with the same required parents share a (non-null) value."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> FieldSpec:
        """Build a field from ``{name, type, nullable?, length?, doc?, unique?}``."""
        unknown = set(data) - {"name", "type", "nullable", "length", "doc", "unique"}
        if unknown:
            raise UniverseError(f"{where}: unknown field attributes {sorted(unknown)}")
        try:
            name = str(data["name"])
            field_type = FieldType(data.get("type", "string"))
        except KeyError:
            raise UniverseError(f"{where}: a field needs a 'name'") from None
        except ValueError:
            choices = [t.value for t in FieldType]
            raise UniverseError(f"{where}: field type {data.get('type')!r} is not one of {choices}") from None
        length = data.get("length")
        unique = bool(data.get("unique", False))
        if unique and field_type not in KEY_TYPES:
            raise UniverseError(f"{where}: alternate key {name!r} must be int or string, not {field_type.value}")
        return cls(name, field_type, bool(data.get("nullable", True)),
                   None if length is None else int(length), str(data.get("doc", "")), unique)


@attrs.frozen
class DataUnitType:
    """A kind of label (instrument, visit, patch...): a key, required and implied units, metadata."""

    name: str
    key: FieldSpec
    requires: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    metadata: tuple[FieldSpec, ...] = ()
    populated_by: str | None = None
    doc: str = ""

    @property
    def alternate_keys(self) -> tuple[FieldSpec, ...]:
        """The metadata fields declared ``unique`` (visit.name, exposure.obs_id, detector.full_name)."""
        return tuple(f for f in self.metadata if f.unique)


@attrs.frozen
class JoinElement:
    """A many-to-many element between DataUnits: a relationship, or metadata about a combination.

    ``always_join`` (the reference's term) says the element defines a relationship
    (visit_definition: which exposures make up a visit), so a query naming all its DataUnits is
    constrained by its records. ``always_join: false`` says it only holds metadata about
    combinations that exist anyway (visit_detector_region: the region of a detector in a visit);
    a query joins its records only when it reads them (a ``where`` on its fields, its records
    asked for). Undeclared, an element is a relationship: universes written before the attribute
    existed (stored in repositories) keep the answers they gave.
    ``populated_by`` names the DataUnit whose records bring this element's records along
    (exported with visits); it never inserts records by itself.
    """

    name: str
    joins: tuple[str, ...]
    metadata: tuple[FieldSpec, ...] = ()
    doc: str = ""
    always_join: bool = True
    populated_by: str | None = None


Element = DataUnitType | JoinElement


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise UniverseError(f"{where}: expected a list of names, got {value!r}")
    return tuple(str(v) for v in value)


def _element_from_mapping(name: str, data: Mapping[str, Any]) -> Element:
    where = f"universe element {name!r}"
    if not isinstance(data, Mapping):
        raise UniverseError(f"{where}: expected a mapping")
    metadata = tuple(FieldSpec.from_mapping(f, where) for f in data.get("metadata") or ())
    doc = str(data.get("doc", ""))
    if "joins" in data:
        unknown = set(data) - {"joins", "metadata", "doc", "always_join", "populated_by"}
        if unknown:
            raise UniverseError(f"{where}: unknown attributes {sorted(unknown)}")
        always_join = data.get("always_join", True)
        if not isinstance(always_join, bool):
            raise UniverseError(f"{where}: always_join must be true or false, not {always_join!r}")
        populated_by = data.get("populated_by")
        return JoinElement(name, _names(data["joins"], where), metadata, doc, always_join,
                           None if populated_by is None else str(populated_by))
    unknown = set(data) - {"key", "requires", "implies", "metadata", "populated_by", "doc"}
    if unknown:
        raise UniverseError(f"{where}: unknown attributes {sorted(unknown)}")
    if "key" not in data:
        raise UniverseError(f"{where}: a DataUnit needs a 'key' field (or 'joins' for a join element)")
    key = FieldSpec.from_mapping(data["key"], where)
    if key.type not in KEY_TYPES:
        raise UniverseError(f"{where}: key field must be int or string, not {key.type.value}")
    populated_by = data.get("populated_by")
    return DataUnitType(name, attrs.evolve(key, nullable=False), _names(data.get("requires"), where),
                        _names(data.get("implies"), where), metadata,
                        None if populated_by is None else str(populated_by), doc)


class Universe:
    """The set of DataUnit types and join elements a repository uses, in dependency order."""

    def __init__(self, elements: Iterable[Element], *, namespace: str = "databutler",
                 version: int = 1, topology: Topology | None = None) -> None:
        self.namespace = namespace
        self.version = version
        self.topology = Topology() if topology is None else topology
        by_name: dict[str, Element] = {}
        for element in elements:
            if element.name in by_name:
                raise UniverseError(f"universe element {element.name!r} is defined twice")
            by_name[element.name] = element
        self._validate(by_name)
        self._validate_topology(by_name, self.topology)
        for skypix in self.topology.skypix_units():
            by_name[skypix.name] = DataUnitType(
                skypix.name, FieldSpec("id", FieldType.INT, False, doc="pixel index"),
                doc=f"Pixels of the {skypix.system} pixelization at level {skypix.level}: no records, values are "
                    "pixel indices.")
        self._elements = self._sort(by_name)
        self._order = {name: i for i, name in enumerate(self._elements)}
        # closure() and implied() run on every DataId; the universe is immutable, so memoise them.
        self._closures: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._implications: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._required: dict[str, tuple[str, ...]] = {}
        for name, element in self._elements.items():
            parents = element.requires if isinstance(element, DataUnitType) else element.joins
            closure: set[str] = set()
            for parent in parents:
                closure.update(self._required[parent])
            if isinstance(element, DataUnitType):
                closure.add(name)
            self._required[name] = tuple(sorted(closure, key=self._order.__getitem__))
        for unit in self.units:
            for implied in unit.implies:
                missing = set(self._required[implied]) - {implied} - set(self._required[unit.name])
                if missing:
                    raise UniverseError(f"{unit.name!r} implies {implied!r}, which needs "
                                        f"{sorted(missing)} that {unit.name!r} does not require")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Universe:
        """Build a universe from ``{namespace?, version?, skypix?, topology?, elements: {name: definition}}``."""
        elements = data.get("elements")
        if not isinstance(elements, Mapping) or not elements:
            raise UniverseError("a universe needs a non-empty 'elements' mapping")
        return cls((_element_from_mapping(str(n), d) for n, d in elements.items()),
                   namespace=str(data.get("namespace", "databutler")),
                   version=int(data.get("version", 1)),
                   topology=Topology.from_mapping(data.get("skypix"), data.get("topology")))

    def to_mapping(self) -> dict[str, Any]:
        """The plain mapping ``from_mapping`` accepts, so a universe can be stored and reloaded."""
        def field(spec: FieldSpec) -> dict[str, Any]:
            out: dict[str, Any] = {"name": spec.name, "type": spec.type.value}
            if not spec.nullable:
                out["nullable"] = False
            if spec.length is not None:
                out["length"] = spec.length
            if spec.doc:
                out["doc"] = spec.doc
            if spec.unique:
                out["unique"] = True
            return out

        elements: dict[str, Any] = {}
        for element in self._elements.values():
            if self.is_skypix(element.name):  # implied by the skypix section
                continue
            data: dict[str, Any] = {}
            if isinstance(element, DataUnitType):
                data["key"] = field(element.key)
                if element.requires:
                    data["requires"] = list(element.requires)
                if element.implies:
                    data["implies"] = list(element.implies)
                if element.populated_by:
                    data["populated_by"] = element.populated_by
            else:
                data["joins"] = list(element.joins)
                if not element.always_join:
                    data["always_join"] = False
                if element.populated_by:
                    data["populated_by"] = element.populated_by
            if element.metadata:
                data["metadata"] = [field(f) for f in element.metadata]
            if element.doc:
                data["doc"] = element.doc
            elements[element.name] = data
        return {"namespace": self.namespace, "version": self.version, **self.topology.to_mapping(),
                "elements": elements}

    @staticmethod
    def _validate(by_name: Mapping[str, Element]) -> None:
        for element in by_name.values():
            refs = element.requires + element.implies if isinstance(element, DataUnitType) else element.joins
            if element.populated_by is not None:
                refs = (*refs, element.populated_by)
            for ref in refs:
                target = by_name.get(ref)
                if not isinstance(target, DataUnitType):
                    raise UniverseError(f"universe element {element.name!r} refers to {ref!r}, "
                                        "which is not a DataUnit of the universe")
            fields = [f.name for f in element.metadata]
            if isinstance(element, DataUnitType):
                fields += [element.key.name, *element.requires, *element.implies]
            elif any(f.unique for f in element.metadata):
                raise UniverseError(f"universe element {element.name!r}: only a DataUnit has alternate keys")
            duplicated = {f for f in fields if fields.count(f) > 1}
            if duplicated:
                raise UniverseError(f"universe element {element.name!r} has duplicate fields {sorted(duplicated)}")

    @staticmethod
    def _validate_topology(by_name: Mapping[str, Element], topology: Topology) -> None:
        for family, members in topology.spatial:
            for member in members:
                element = by_name.get(member)
                if element is None:
                    raise UniverseError(f"universe topology.spatial.{family} names {member!r}, which is not an "
                                        "element of the universe")
                if not any(f.name == "region" and f.type is FieldType.REGION for f in element.metadata):
                    raise UniverseError(f"universe topology.spatial.{family} names {member!r}, which has no "
                                        "'region' field of type region")
        for family, members in topology.temporal:
            for member in members:
                if member not in by_name:
                    raise UniverseError(f"universe topology.temporal.{family} names {member!r}, which is not an "
                                        "element of the universe")
        clashes = [name for name in by_name if topology.skypix(name) is not None]
        if clashes:
            raise UniverseError(f"universe elements {clashes} have the names of skypix DataUnits")

    @staticmethod
    def _sort(by_name: Mapping[str, Element]) -> dict[str, Element]:
        ordered: dict[str, Element] = {}
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in ordered:
                return
            if name in visiting:
                raise UniverseError(f"universe has a dependency cycle through {name!r}")
            visiting.add(name)
            element = by_name[name]
            deps = element.requires + element.implies if isinstance(element, DataUnitType) else element.joins
            for dep in deps:
                visit(dep)
            visiting.discard(name)
            ordered[name] = element

        for name in by_name:
            visit(name)
        return ordered

    # -- lookup ---------------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self._elements

    def __iter__(self) -> Any:
        return iter(self._elements.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Universe) and (self.namespace, self.version, self._elements, self.topology) == (
            other.namespace, other.version, other._elements, other.topology)

    def __hash__(self) -> int:
        return hash((self.namespace, self.version, tuple(self._elements)))

    def __repr__(self) -> str:
        return f"Universe({self.namespace!r}, version={self.version}, {list(self._elements)})"

    def is_skypix(self, name: str) -> bool:
        """Whether ``name`` is a skypix DataUnit of this universe (``htm7``): no records, values are pixels."""
        skypix = self.topology.skypix(name)
        return skypix is not None and skypix in self.topology.skypix_units()

    @property
    def elements(self) -> tuple[Element, ...]:
        """All elements, each after everything it depends on."""
        return tuple(self._elements.values())

    @property
    def units(self) -> tuple[DataUnitType, ...]:
        """The DataUnit types, in dependency order."""
        return tuple(e for e in self._elements.values() if isinstance(e, DataUnitType))

    @property
    def join_elements(self) -> tuple[JoinElement, ...]:
        """The many-to-many join elements."""
        return tuple(e for e in self._elements.values() if isinstance(e, JoinElement))

    def suggest(self, name: str, candidates: Iterable[str] | None = None) -> str:
        """Return a hint naming the valid names closest to ``name``."""
        pool = list(self._elements) if candidates is None else list(candidates)
        if not isinstance(name, str):
            return "known names are " + ", ".join(pool)
        return hint(name, pool, otherwise="known names are " + ", ".join(pool))

    def element(self, name: str) -> Element:
        """Return the element called ``name``, or raise UnknownDataUnitError with suggestions."""
        try:
            return self._elements[name]
        except KeyError:
            raise UnknownDataUnitError(f"{name!r} is not a DataUnit or join element of universe "
                                       f"{self.namespace!r}; {self.suggest(name)}") from None

    def unit(self, name: str) -> DataUnitType:
        """Return the DataUnit type called ``name``."""
        element = self.element(name)
        if not isinstance(element, DataUnitType):
            raise UnknownDataUnitError(f"{name!r} is a join element, not a DataUnit; "
                                       f"{self.suggest(name, (u.name for u in self.units))}")
        return element

    def required(self, name: str) -> tuple[str, ...]:
        """The units that identify one record of ``name`` (its required closure, itself included)."""
        self.element(name)
        return self._required[name]

    def sort_names(self, names: Iterable[str]) -> tuple[str, ...]:
        """Return unique ``names`` in universe order."""
        unique = set(names)
        for name in unique:
            self.element(name)
        return tuple(sorted(unique, key=self._order.__getitem__))

    def closure(self, names: Iterable[str]) -> tuple[str, ...]:
        """The units needed to identify all of ``names``: their required closure, sorted."""
        names = tuple(names)
        found = self._closures.get(names)
        if found is None:
            result: set[str] = set()
            for name in names:
                result.update(self.required(self.unit(name).name))
            found = self._closures[names] = self.sort_names(result)
        return found

    def implied(self, names: Sequence[str]) -> tuple[str, ...]:
        """The units implied (transitively) by ``names`` that are not already among them."""
        key = tuple(names)
        memo = self._implications.get(key)
        if memo is not None:
            return memo
        have = set(names)
        found: list[str] = []
        todo = list(names)
        while todo:
            unit = self.unit(todo.pop())
            for name in unit.implies:
                if name not in have:
                    have.add(name)
                    found.append(name)
                    todo.append(name)
        memo = self._implications[key] = self.sort_names(found)
        return memo

    def record_fields(self, name: str) -> tuple[FieldSpec, ...]:
        """The fields of one record of element ``name``: identifying keys, implied units, metadata."""
        element = self.element(name)
        fields: list[FieldSpec] = []
        required = self.required(name)
        for unit_name in required:
            if unit_name == name:
                continue
            key = self.unit(unit_name).key
            fields.append(FieldSpec(unit_name, key.type, False, key.length, f"key of {unit_name}"))
        if isinstance(element, DataUnitType):
            fields.append(element.key)
            for unit_name in element.implies:
                key = self.unit(unit_name).key
                fields.append(FieldSpec(unit_name, key.type, True, key.length, f"implied {unit_name}"))
        fields.extend(element.metadata)
        return tuple(fields)

    def key_fields(self, name: str) -> tuple[str, ...]:
        """The record field names that form the primary key of element ``name``."""
        element = self.element(name)
        names = [u for u in self.required(name) if u != name]
        if isinstance(element, DataUnitType):
            names.append(element.key.name)
        return tuple(names)

    def unique_fields(self, name: str) -> tuple[tuple[str, ...], ...]:
        """For each alternate key of element ``name``: its required parents' fields and its own name."""
        element = self.element(name)
        parents = tuple(u for u in self.required(name) if u != name)
        return tuple((*parents, f.name) for f in element.metadata if f.unique)
