"""Read-time conversion for ``Butler.get(..., storage_class=...)``: the conversion is chosen before reading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.conversion import ConverterRegistry
from ..domain.dataset import DatasetRef
from ..domain.errors import DataButlerError, StorageClassError
from ..domain.storage_class import StorageClassRegistry
from ..domain.suggestions import hint


def read_view(storage_classes: StorageClassRegistry, converters: ConverterRegistry, ref: DatasetRef,
              component: str | None, target: str | None) -> Callable[[Any], Any] | None:
    """The function that turns what is read for ``ref`` (or its ``component``) into StorageClass ``target``.

    None when no conversion is needed. StorageClassError, before anything is read, if ``target``
    is unknown or no conversion is registered from the stored StorageClass to it.
    """
    if target is None:
        return None
    if not isinstance(target, str):
        raise StorageClassError(f"storage_class is a StorageClass name, not {type(target).__name__}")
    stored = storage_classes[ref.dataset_type.storage_class]
    source = stored.component(component) if component is not None else stored.name
    if target == source:
        return None
    if target not in storage_classes:
        known = storage_classes.names()
        raise StorageClassError(f"cannot read {ref} as storage class {target!r}: it is not known; "
                                f"{hint(target, known, otherwise=f'known storage classes are {list(known)}')}")
    wanted = storage_classes[target]
    conversion = converters.find(source, target)

    def convert(obj: Any) -> Any:
        try:
            result = conversion.function(obj)
        except DataButlerError:
            raise
        except Exception as err:
            raise StorageClassError(f"conversion {source!r} -> {target!r} failed on {ref}: "
                                    f"{type(err).__name__}: {err}") from err
        if not wanted.accepts(result):
            kind = type(result)
            raise StorageClassError(f"conversion {source!r} -> {target!r} returned a {kind.__module__}."
                                    f"{kind.__qualname__}, which storage class {target!r} does not accept "
                                    f"(it expects one of {list(wanted.python_types)})")
        return result

    return convert
