"""Read-time conversions: another in-memory view of a Dataset, from one StorageClass to another.

``Butler.get(..., storage_class="StructuredDataList")`` reads the Dataset with the StorageClass
it was written with, then applies the Conversion registered for that pair. Conversions are plain
callables; the domain holds the table and the builtin ones, the configuration layer adds those of
installed plug-ins (entry-point group ``databutler.converters``) when one is first missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from .errors import StorageClassError
from .remedies import Action, Remedy


@attrs.frozen
class Conversion:
    """How to turn an object of StorageClass ``source`` into one of StorageClass ``target``."""

    source: str
    target: str
    function: Callable[[Any], Any] = attrs.field(eq=False)
    doc: str = ""

    def __attrs_post_init__(self) -> None:
        if not (isinstance(self.source, str) and self.source and isinstance(self.target, str) and self.target):
            raise StorageClassError(f"a conversion names its source and target storage classes, got "
                                    f"{self.source!r} -> {self.target!r}")
        if self.source == self.target:
            raise StorageClassError(f"a conversion from {self.source!r} to itself is never needed")
        if not callable(self.function):
            raise StorageClassError(f"conversion {self.source!r} -> {self.target!r}: {self.function!r} "
                                    "is not callable")

    @property
    def pair(self) -> tuple[str, str]:
        """(source, target)."""
        return self.source, self.target


def _dict_as_is(obj: Any) -> Any:
    """A StructuredData that is a dict is already a StructuredDataDict (and the other way round)."""
    if not isinstance(obj, dict):
        raise StorageClassError(f"a {type(obj).__name__} is not a dict; only dict StructuredData converts to "
                                "StructuredDataDict")
    return obj


def _list_as_is(obj: Any) -> Any:
    """A StructuredData that is a list is already a StructuredDataList."""
    if not isinstance(obj, list):
        raise StorageClassError(f"a {type(obj).__name__} is not a list; only list StructuredData converts to "
                                "StructuredDataList")
    return obj


def _same(obj: Any) -> Any:
    """A view that needs no change: the narrower StorageClass's objects are all of the wider one."""
    return obj


def _tolist(obj: Any) -> Any:
    """A numpy array as nested Python lists (numpy is not imported: the array brings its method)."""
    return obj.tolist()


BUILTIN_CONVERSIONS: tuple[Conversion, ...] = (
    Conversion("StructuredData", "StructuredDataDict", _dict_as_is, "a dict StructuredData, as it is"),
    Conversion("StructuredData", "StructuredDataList", _list_as_is, "a list StructuredData, as it is"),
    Conversion("StructuredDataDict", "StructuredData", _same, "as it is"),
    Conversion("StructuredDataList", "StructuredData", _same, "as it is"),
    Conversion("NumpyArray", "StructuredDataList", _tolist, "ndarray.tolist(): nested lists of Python scalars"),
)
"""The conversions between builtin StorageClasses."""


class ConverterRegistry:
    """The conversions a repository knows, by (source, target) StorageClass names.

    ``load_more`` (given by the configuration layer) returns further conversions, those of
    installed plug-ins; it is called once, the first time a pair is missing.
    """

    def __init__(self, conversions: Iterable[Conversion] = BUILTIN_CONVERSIONS,
                 load_more: Callable[[], Iterable[Conversion]] | None = None) -> None:
        self._by_pair: dict[tuple[str, str], Conversion] = {}
        self._load_more = load_more
        for conversion in conversions:
            self.register(conversion)

    def register(self, conversion: Conversion) -> None:
        """Add ``conversion``; another conversion for the same pair is a StorageClassError."""
        if not isinstance(conversion, Conversion):
            raise StorageClassError(f"expected a Conversion, got {type(conversion).__name__}")
        existing = self._by_pair.get(conversion.pair)
        if existing is not None and existing.function is not conversion.function:
            raise StorageClassError(f"a conversion {conversion.source!r} -> {conversion.target!r} is already "
                                    f"registered ({existing.function!r})")
        self._by_pair[conversion.pair] = conversion

    def _load_plugins(self) -> None:
        load, self._load_more = self._load_more, None
        if load is not None:
            for conversion in load():
                self.register(conversion)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (source, target) pair a conversion exists for (plug-ins loaded)."""
        self._load_plugins()
        return tuple(sorted(self._by_pair))

    def find(self, source: str, target: str) -> Conversion:
        """The conversion ``source`` -> ``target``; StorageClassError listing those that exist if none."""
        if (source, target) not in self._by_pair:
            self._load_plugins()
        try:
            return self._by_pair[(source, target)]
        except KeyError:
            pass
        from_source = sorted(t for s, t in self._by_pair if s == source)
        every = [f"{s}->{t}" for s, t in sorted(self._by_pair)]
        raise StorageClassError(
            f"no conversion from storage class {source!r} to {target!r} is registered; {source!r} converts to "
            f"{from_source or 'nothing'}; registered conversions: {every}",
            remedy=Remedy(Action.REGISTER_CONVERSION, source, target)) from None

    def convert(self, obj: Any, source: str, target: str) -> Any:
        """``obj`` (of StorageClass ``source``) as StorageClass ``target``; the same object if they are equal."""
        if source == target:
            return obj
        return self.find(source, target).function(obj)
