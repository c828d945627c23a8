"""The dependency-injector container: the only place that names concrete adapters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from ..adapters.cache import make_datastore as make_cache_datastore
from ..adapters.chained import child_sections
from ..adapters.chained import make_datastore as make_chained_datastore
from ..adapters.dbb import make_registry as make_dbb_registry
from ..adapters.dbb.datastore_factory import make_dbb_datastore
from ..adapters.formats.conversions import DEFAULT_CONVERSIONS
from ..adapters.memory import make_datastore as make_memory_datastore
from ..adapters.nosql import make_registry as make_limited_registry
from ..adapters.objectstore import make_datastore as make_objectstore_datastore
from ..adapters.posix import make_datastore as make_posix_datastore
from ..adapters.sql import make_registry as make_sql_registry
from ..domain.conversion import ConverterRegistry
from ..domain.errors import ConfigError, StorageClassError
from ..domain.storage_class import BUILTIN_STORAGE_CLASSES, StorageClass, StorageClassRegistry
from ..domain.universe import Universe
from ..ports.datastore import Datastore
from ..ports.formatter import FormatterSet
from ..ports.registry import Registry
from .format_plugins import PluginStorageClasses, plugin_conversions
from .formatter_config import build_formatters
from .plugins import DATASTORE_GROUP, REGISTRY_GROUP, AdapterTable
from .universe import load_universe


def build_storage_classes(extra: Mapping[str, Any] | None) -> PluginStorageClasses:
    """The builtin StorageClasses, those defined under ``storage_classes:`` in butler.yaml, then plug-ins'.

    Plug-in StorageClasses (entry-point group ``databutler.storage_classes``) are imported the first
    time a name is not among the others.
    """
    registry = PluginStorageClasses(BUILTIN_STORAGE_CLASSES)
    for name, spec in (extra or {}).items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"storage class {name!r}: expected a mapping")
        try:
            registry.register(StorageClass(str(name), tuple(spec.get("python_types", ())),
                                           dict(spec.get("components", {})),
                                           frozenset(spec.get("parameters", ())), str(spec.get("doc", ""))))
        except (StorageClassError, TypeError, ValueError) as err:
            raise ConfigError(f"storage class {name!r} is invalid: {err}") from None
    return registry


def build_converters() -> ConverterRegistry:
    """The bundled conversions; those of plug-ins (``databutler.converters``) are imported when one is missing."""
    return ConverterRegistry(DEFAULT_CONVERSIONS, load_more=plugin_conversions())


def universe_for(spec: Any, create: bool) -> Universe | None:
    """The universe to create a registry with; None when opening (the registry holds its own)."""
    return load_universe(spec) if create else None


def build_datastore(section: Any, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                    create: bool, writeable: bool) -> Datastore:
    """The datastore a section describes: the top-level one or a proxy's child (any adapter, proxies included)."""
    datastore: Datastore = DATASTORES.build(section, storage_classes=storage_classes, formatters=formatters,
                                            create=create, writeable=writeable)
    return datastore


def build_registry(section: Any, *, universe: Universe | None, create: bool, writeable: bool) -> Registry:
    """The registry the ``registry`` section describes."""
    registry: Registry = REGISTRIES.build(section, universe=universe, create=create, writeable=writeable)
    return registry


def build_cache_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry,
                          formatters: FormatterSet, create: bool, writeable: bool) -> Datastore:
    """A caching datastore over the datastore of its ``child`` section."""
    if not isinstance(options.get("child"), Mapping):
        raise ConfigError("a cache datastore needs a 'child' section: the datastore it caches, e.g. "
                          "child: {adapter: objectstore, root: s3://bucket/repo}")
    child = build_datastore(options.get("child"), storage_classes=storage_classes, formatters=formatters,
                                  create=create, writeable=writeable)
    return make_cache_datastore(options, child=child, storage_classes=storage_classes, formatters=formatters)


def working_registry(universe: Universe) -> Registry:
    """The in-memory registry that holds a limited registry's working state: SQL on private in-memory SQLite."""
    return make_sql_registry({"adapter": "sql", "url": "sqlite://"}, universe=universe, create=True, writeable=True)


def build_chained_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry,
                            formatters: FormatterSet, create: bool, writeable: bool) -> Datastore:
    """A chained datastore over the datastores of its ``children`` sections (read-only ones opened read-only)."""
    children = []
    for section in child_sections(options):
        read_only = bool(section.get("read_only", False))
        children.append(build_datastore(section["datastore"], storage_classes=storage_classes,
                                              formatters=formatters, create=create and not read_only,
                                              writeable=writeable and not read_only))
    return make_chained_datastore(options, children=children)


def build_limited_registry(section: Mapping[str, Any], *, universe: Universe | None, create: bool,
                           writeable: bool) -> Registry:
    """The limited registry, its working state held by SQL on private in-memory SQLite."""
    return make_limited_registry(section, universe=universe, create=create, writeable=writeable,
                                 make_working=working_registry)


REGISTRIES = AdapterTable(REGISTRY_GROUP, "registry", {"sql": make_sql_registry, "limited": build_limited_registry,
                                                       "dbb": make_dbb_registry})
"""Every registry adapter: the bundled ones, then the plug-ins of entry-point group ``databutler.registries``."""
DATASTORES = AdapterTable(DATASTORE_GROUP, "datastore", {
    "posix": make_posix_datastore, "memory": make_memory_datastore, "objectstore": make_objectstore_datastore,
    "cache": build_cache_datastore, "chained": build_chained_datastore, "dbb": make_dbb_datastore,
})
"""Every datastore adapter, proxies included: the bundled ones, then the plug-ins of ``databutler.datastores``."""


class RepositoryContainer(containers.DeclarativeContainer):
    """Builds Registry, Datastore and their collaborators for one repository from its config."""

    config = providers.Configuration(strict=True)
    universe = providers.Singleton(universe_for, config.universe, config.runtime.create)
    storage_classes = providers.Singleton(build_storage_classes, config.storage_classes)
    formatters = providers.Singleton(build_formatters, config.formatters, storage_classes)
    converters = providers.Singleton(build_converters)
    registry = providers.Singleton(build_registry, config.registry, universe=universe, create=config.runtime.create,
                                   writeable=config.runtime.writeable)
    datastore = providers.Singleton(build_datastore, config.datastore, storage_classes=storage_classes,
                                    formatters=formatters, create=config.runtime.create,
                                    writeable=config.runtime.writeable)


def build_container(config: Mapping[str, Any], *, create: bool, writeable: bool) -> RepositoryContainer:
    """A container for an interpolated ``config``; an unknown adapter name is refused now, before anything is built."""
    REGISTRIES.factory(config["registry"]["adapter"])
    DATASTORES.factory(config["datastore"]["adapter"])
    container = RepositoryContainer()
    container.config.from_dict({"storage_classes": {}, "formatters": {}, **config,
                                "runtime": {"create": create, "writeable": writeable}})
    return container
