"""StorageClasses: the in-memory type of a Dataset, its components and read parameters."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .box import cut_out
from .errors import StorageClassError

MAX_STORAGE_CLASS_NAME = 128
"""The longest storage class name, in characters: every registry refuses longer ones alike."""
MAX_COMPONENT_NAME = 64
"""The longest component name, in characters."""

def _as_dict(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


def _as_frozenset(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class StorageClass:
    """The in-memory form of a Dataset: Python types, components and accepted read parameters.

    ``python_types`` are the fully qualified names of the accepted in-memory types (names, not
    classes, so the domain imports nothing); ``components`` maps a component name to the
    StorageClass of that component; ``parameters`` are the read parameters formatters honour.
    """

    name: str
    python_types: tuple[str, ...]
    components: Mapping[str, str] = attrs.field(factory=dict, converter=_as_dict)
    parameters: frozenset[str] = attrs.field(default=frozenset(), converter=_as_frozenset)
    doc: str = ""

    def __attrs_post_init__(self) -> None:
        for what, value, limit in (("name", self.name, MAX_STORAGE_CLASS_NAME),
                                   *(("component name", c, MAX_COMPONENT_NAME) for c in self.components)):
            if isinstance(value, str) and len(value) > limit:
                raise StorageClassError(f"storage class {what} {value[:40]!r}... has {len(value)} characters; "
                                        f"at most {limit} are allowed")

    def __hash__(self) -> int:
        return hash(self.name)

    def accepts(self, obj: Any) -> bool:
        """Return whether ``obj`` is an instance of one of the declared python types."""
        kind: type = type(obj)
        return _type_matches(kind, self.python_types)

    def check_parameters(self, parameters: Mapping[str, Any] | None) -> None:
        """Raise StorageClassError if ``parameters`` has a name this StorageClass does not accept."""
        unknown = set(parameters or ()) - self.parameters
        if unknown:
            accepted = sorted(self.parameters) or "none"
            raise StorageClassError(f"storage class {self.name!r} does not accept read parameters "
                                    f"{sorted(unknown)}; accepted: {accepted}")

    def component(self, name: str) -> str:
        """Return the StorageClass name of component ``name``."""
        try:
            return self.components[name]
        except KeyError:
            known = sorted(self.components) or "none"
            raise StorageClassError(f"storage class {self.name!r} has no component {name!r}; "
                                    f"components: {known}") from None


@functools.lru_cache(maxsize=1024)
def _type_matches(kind: type, python_types: tuple[str, ...]) -> bool:
    """Whether ``kind`` or one of its bases is named in ``python_types`` (memoised: checked on every I/O)."""
    names = {f"{t.__module__}.{t.__qualname__}" for t in kind.__mro__}
    return any(t in names for t in python_types)


_TABLE_COMPONENTS = {"columns": "ArrowSchema", "rowcount": "Integer"}
"""The components of the table StorageClasses: the schema and the row count, both read from the footer."""
_TABLE_PARAMETERS = frozenset({"columns", "filters"})
"""The read parameters of the table StorageClasses: a column subset and a row filter."""

BUILTIN_STORAGE_CLASSES: tuple[StorageClass, ...] = (
    StorageClass("StructuredData", ("builtins.dict", "builtins.list"), parameters=frozenset({"keys"}),
                 doc="A dict or list of plain values; JSON or YAML files."),
    StorageClass("StructuredDataDict", ("builtins.dict",), parameters=frozenset({"keys"}),
                 doc="A dict of plain values (the reference system's name)."),
    StorageClass("StructuredDataList", ("builtins.list",), doc="A list of plain values."),
    StorageClass("NumpyArray", ("numpy.ndarray",), parameters=frozenset({"slices"}),
                 doc="A numpy array in .npy files; 'slices' reads part of it."),
    StorageClass("Object", ("builtins.object",),
                 doc="Any picklable object; for trusted repositories only."),
    StorageClass("SkyMap", ("lsst.skymap.baseSkyMap.BaseSkyMap",),
                 doc="A sky map of lsst.skymap, pickled as the reference stores it; for trusted repositories only."),
    StorageClass("ArrayWithMetadata", ("builtins.dict",),
                 components={"array": "NumpyArray", "metadata": "StructuredDataDict"},
                 parameters=frozenset({"slices"}),
                 doc="A composite: {'array': ndarray, 'metadata': dict}; components read alone."),
    StorageClass("Bytes", ("builtins.bytes", "builtins.bytearray"),
                 doc="A file's content as it is (data without a formatter of its own, such as an archive's files)."),
    StorageClass("Box", ("builtins.tuple",),
                 doc="A pixel box (x0, y0, x1, y1) in the parent frame, x1 and y1 exclusive."),
    StorageClass("Wcs", ("astropy.wcs.wcs.WCS",), doc="An astropy WCS: pixel to sky coordinates."),
    StorageClass("Exposure", ("databutler.adapters.formats.exposure.Exposure",),
                 components={"image": "NumpyArray", "mask": "NumpyArray", "variance": "NumpyArray",
                             "wcs": "Wcs", "metadata": "StructuredDataDict", "bbox": "Box"},
                 parameters=frozenset({"bbox"}),
                 doc="An image with mask, variance, WCS and header; multi-extension FITS; 'bbox' reads a sub-image."),
    # Tables (Parquet files; pip install 'databutler[tables]'): one family, three in-memory views of the same bytes.
    StorageClass("ArrowTable", ("pyarrow.lib.Table",), components=_TABLE_COMPONENTS, parameters=_TABLE_PARAMETERS,
                 doc="A pyarrow Table in Parquet files; 'columns' and 'filters' read part of it."),
    StorageClass("DataFrame", ("pandas.DataFrame", "pandas.core.frame.DataFrame"),  # pandas 3 / pandas 2 names
                 components=_TABLE_COMPONENTS, parameters=_TABLE_PARAMETERS,
                 doc="A pandas DataFrame (its index kept) in Parquet files; 'columns' and 'filters' read part of it."),
    StorageClass("AstropyTable", ("astropy.table.table.Table",), components=_TABLE_COMPONENTS,
                 parameters=_TABLE_PARAMETERS,
                 doc="An astropy Table (units, descriptions, masks, meta kept) in Parquet files."),
    StorageClass("ArrowSchema", ("pyarrow.lib.Schema",), doc="The column names and types of a table."),
    StorageClass("Integer", ("builtins.int",), doc="A whole number, such as the row count of a table."),
)


class StorageClassRegistry:
    """The StorageClasses known to a repository, by name."""

    def __init__(self, storage_classes: tuple[StorageClass, ...] = BUILTIN_STORAGE_CLASSES) -> None:
        self._by_name = {sc.name: sc for sc in storage_classes}

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> StorageClass:
        try:
            return self._by_name[name]
        except KeyError:
            raise StorageClassError(f"storage class {name!r} is not known; known: "
                                    f"{sorted(self._by_name)}") from None

    def register(self, storage_class: StorageClass) -> None:
        """Add ``storage_class``; re-registering an identical definition is a no-op."""
        existing = self._by_name.get(storage_class.name)
        if existing is not None and existing != storage_class:
            raise StorageClassError(f"storage class {storage_class.name!r} is already defined differently")
        self._by_name[storage_class.name] = storage_class

    def names(self) -> tuple[str, ...]:
        """All known StorageClass names."""
        return tuple(sorted(self._by_name))


def apply_read_parameters(storage_class: StorageClass, obj: Any, parameters: Mapping[str, Any] | None) -> Any:
    """Return ``obj`` narrowed by ``parameters`` for formats that cannot apply them while reading.

    ``keys`` selects a subset of a dict (in the given order); ``slices`` indexes an array-like
    (``obj[slices]``), or the ``array`` of an ArrayWithMetadata composite; ``bbox`` cuts out a
    pixel box (``obj.cutout(box)``, see ``domain.box``).
    """
    storage_class.check_parameters(parameters)
    if not parameters:
        return obj
    result = obj
    if "keys" in parameters:
        keys = parameters["keys"]
        if isinstance(keys, str) or not isinstance(result, Mapping):
            raise StorageClassError(f"read parameter 'keys' needs a list of keys and a mapping "
                                    f"dataset, got {keys!r}")
        missing = [k for k in keys if k not in result]
        if missing:
            raise StorageClassError(f"read parameter 'keys': {missing} not in the dataset")
        result = {k: result[k] for k in keys}
    if "slices" in parameters:
        slices = parameters["slices"]
        try:
            if storage_class.components and isinstance(result, Mapping) and "array" in result:
                result = {**result, "array": result["array"][slices]}
            else:
                result = result[slices]
        except (IndexError, TypeError) as err:
            raise StorageClassError(f"read parameter 'slices' {slices!r} does not fit: {err}") from None
    if "bbox" in parameters:
        result = cut_out(result, parameters["bbox"])
    return result


def extract_component(storage_class: StorageClass, obj: Any, component: str) -> Any:
    """Return component ``component`` of composite ``obj`` (a mapping key or an attribute)."""
    storage_class.component(component)
    if isinstance(obj, Mapping):
        if component not in obj:
            raise StorageClassError(f"dataset of storage class {storage_class.name!r} lacks component "
                                    f"{component!r}")
        return obj[component]
    try:
        return getattr(obj, component)
    except AttributeError:
        raise StorageClassError(f"dataset of storage class {storage_class.name!r} lacks component "
                                f"{component!r}") from None
