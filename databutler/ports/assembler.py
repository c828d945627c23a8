"""Assemblers: how a composite of one StorageClass splits into its components and is put back together.

A file datastore configured to disassemble writes each component of a composite to its own file
when the composite's StorageClass has an assembler here; a composite without one is stored whole.
One assembler per StorageClass, registered by name: ``BUILTIN_ASSEMBLERS`` holds the bundled ones,
either as an instance or as a ``"module:Class"`` string imported on first use (so a formatter package
such as the FITS one registers its composite without this module importing it: ``Exposure`` is
``"databutler.adapters.formats.exposure:ExposureAssembler"``), or, for one datastore,
``default_assembler_set().with_assemblers({"MyComposite": MyAssembler()})``.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from typing import Any

from ..domain.errors import ConfigError, StorageClassError
from ..domain.storage_class import StorageClass, apply_read_parameters


class Assembler(abc.ABC):
    """Splits composites of a StorageClass into components and assembles them again; stateless."""

    @abc.abstractmethod
    def disassemble(self, obj: Any, storage_class: StorageClass) -> dict[str, Any]:
        """The components of ``obj`` by name (StorageClassError if ``obj`` is not a composite of ``storage_class``)."""

    @abc.abstractmethod
    def assemble(self, components: Mapping[str, Any], storage_class: StorageClass) -> Any:
        """The composite made of ``components`` (those stored; read parameters already applied to each)."""

    def parameters_for(self, storage_class: StorageClass, component: str, component_class: StorageClass,
                       parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The read parameters that go to the file of ``component``: by default those its StorageClass accepts.

        Override where a parameter means something else to a component (a bbox that narrows
        the image, mask and variance planes but is recomputed for a ``bbox`` component).
        """
        return {name: value for name, value in parameters.items() if name in component_class.parameters}

    def own_parameters(self, storage_class: StorageClass) -> frozenset[str]:
        """The read parameters this assembler applies itself, to the assembled composite (none by default).

        Such a parameter goes to no part: the parts are read as if it were not given, assembled,
        then ``apply_parameters`` narrows the result. Use it where a parameter needs what another
        part holds (an Exposure's ``bbox`` is in the parent frame, which only its ``bbox`` part knows).
        """
        return frozenset()

    def apply_parameters(self, obj: Any, parameters: Mapping[str, Any], storage_class: StorageClass) -> Any:
        """``obj``, assembled, narrowed by ``parameters`` (of ``own_parameters``): the builtin rules by default."""
        return apply_read_parameters(storage_class, obj, parameters)

    def optional_components(self, storage_class: StorageClass) -> Mapping[str, Any]:
        """Components a composite may have no part for, with what a read of such a missing one gives (none here)."""
        return {}


class MappingAssembler(Assembler):
    """Composites that are dicts keyed by component name (``ArrayWithMetadata``: ``{'array', 'metadata'}``)."""

    def disassemble(self, obj: Any, storage_class: StorageClass) -> dict[str, Any]:
        """The dict's values by key; every key must be a component and every component present."""
        if not isinstance(obj, Mapping) or set(obj) != set(storage_class.components):
            got = sorted(map(str, obj)) if isinstance(obj, Mapping) else type(obj).__name__
            raise StorageClassError(f"a {storage_class.name} dataset is a dict with exactly the keys "
                                    f"{sorted(storage_class.components)}, got {got}")
        return dict(obj)

    def assemble(self, components: Mapping[str, Any], storage_class: StorageClass) -> Any:
        """The dict of the components."""
        return dict(components)


BUILTIN_ASSEMBLERS: dict[str, Assembler | str] = {
    "ArrayWithMetadata": MappingAssembler(),
    "Exposure": "databutler.adapters.formats.exposure:ExposureAssembler",
}
"""The assembler of each bundled composite StorageClass: an instance, or ``"module:Class"`` imported late."""


class AssemblerSet:
    """The assemblers a datastore may use, by StorageClass name."""

    def __init__(self, assemblers: Mapping[str, Assembler | str]) -> None:
        for name, assembler in assemblers.items():
            if not isinstance(assembler, Assembler | str):
                raise ConfigError(f"the assembler of storage class {name!r} must be an Assembler or a "
                                  f"'module:Class' string, got {type(assembler).__name__}")
        self._by_name: dict[str, Assembler | str] = dict(assemblers)

    def names(self) -> tuple[str, ...]:
        """The StorageClass names that have an assembler."""
        return tuple(sorted(self._by_name))

    def for_storage_class(self, storage_class: str) -> Assembler | None:
        """The assembler of ``storage_class``, or None (its composites are stored whole)."""
        found = self._by_name.get(storage_class)
        if isinstance(found, str):
            found = self._by_name[storage_class] = _load(storage_class, found)
        return found

    def with_assemblers(self, extra: Mapping[str, Assembler | str]) -> AssemblerSet:
        """A copy with ``extra`` added (replacing those of the same StorageClasses)."""
        return AssemblerSet({**self._by_name, **extra})


def default_assembler_set() -> AssemblerSet:
    """The bundled assemblers (``BUILTIN_ASSEMBLERS``)."""
    return AssemblerSet(BUILTIN_ASSEMBLERS)


def _load(storage_class: str, spec: str) -> Assembler:
    """Import the assembler class named by ``"module:Class"`` and make one."""
    module_name, _, class_name = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ConfigError(f"the assembler {spec!r} of storage class {storage_class!r} cannot be imported: "
                          f"{err}") from None
    assembler = found()
    if not isinstance(assembler, Assembler):
        raise ConfigError(f"the assembler {spec!r} of storage class {storage_class!r} is not an Assembler")
    return assembler
