"""The dependency-injector container: the only place that names concrete adapters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from ..adapters.cache import make_datastore as make_cache_datastore
from ..adapters.chained import child_sections
from ..adapters.chained import make_datastore as make_chained_datastore
from ..adapters.formats import default_formatter_set
from ..adapters.memory import make_datastore as make_memory_datastore
from ..adapters.nosql import make_registry as make_limited_registry
from ..adapters.objectstore import make_datastore as make_objectstore_datastore
from ..adapters.posix import make_datastore as make_posix_datastore
from ..adapters.sql import make_registry as make_sql_registry
from ..domain.errors import ConfigError, StorageClassError
from ..domain.storage_class import StorageClass, StorageClassRegistry
from ..domain.universe import Universe
from ..ports.datastore import Datastore
from ..ports.formatter import FormatterSet
from ..ports.registry import Registry
from .plugins import DATASTORE_GROUP, REGISTRY_GROUP, load_factory
from .universe import load_universe


def build_storage_classes(extra: Mapping[str, Any] | None) -> StorageClassRegistry:
    """The builtin StorageClasses plus those defined under ``storage_classes:`` in butler.yaml."""
    registry = StorageClassRegistry()
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


def universe_for(spec: Any, create: bool) -> Universe | None:
    """The universe to create a registry with; None when opening (the registry holds its own)."""
    return load_universe(spec) if create else None


def build_child_datastore(options: Any, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                          create: bool, writeable: bool) -> Datastore:
    """The datastore a proxy's child section describes (any adapter, proxies included)."""
    if not isinstance(options, Mapping) or not isinstance(options.get("adapter"), str):
        raise ConfigError(f"a proxy datastore's child section needs an 'adapter' name, got {options!r}")
    name = options["adapter"]
    proxies: dict[str, Any] = {"cache": build_cache_datastore, "chained": build_chained_datastore}
    factories: dict[str, Any] = {"posix": make_posix_datastore, "memory": make_memory_datastore,
                                 "objectstore": make_objectstore_datastore}
    factory = proxies.get(name) or factories.get(name) or load_factory(DATASTORE_GROUP, name,
                                                                       builtin=[*proxies, *factories])
    return factory(options, storage_classes=storage_classes, formatters=formatters, create=create,  # type: ignore[no-any-return]
                   writeable=writeable)


def build_cache_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry,
                          formatters: FormatterSet, create: bool, writeable: bool) -> Datastore:
    """A caching datastore over the datastore of its ``child`` section."""
    child = build_child_datastore(options.get("child"), storage_classes=storage_classes, formatters=formatters,
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
        children.append(build_child_datastore(section["datastore"], storage_classes=storage_classes,
                                              formatters=formatters, create=create and not read_only,
                                              writeable=writeable and not read_only))
    return make_chained_datastore(options, children=children)


class RepositoryContainer(containers.DeclarativeContainer):
    """Builds Registry, Datastore and their collaborators for one repository from its config."""

    config = providers.Configuration(strict=True)
    universe = providers.Singleton(universe_for, config.universe, config.runtime.create)
    storage_classes = providers.Singleton(build_storage_classes, config.storage_classes)
    formatters = providers.Singleton(default_formatter_set)
    registry = providers.Selector(
        config.registry.adapter,
        sql=providers.Singleton(make_sql_registry, config.registry, universe=universe,
                                create=config.runtime.create, writeable=config.runtime.writeable),
        limited=providers.Singleton(make_limited_registry, config.registry, universe=universe,
                                    create=config.runtime.create, writeable=config.runtime.writeable,
                                    make_working=providers.Object(working_registry)),
    )
    datastore = providers.Selector(
        config.datastore.adapter,
        posix=providers.Singleton(make_posix_datastore, config.datastore, storage_classes=storage_classes,
                                  formatters=formatters, create=config.runtime.create,
                                  writeable=config.runtime.writeable),
        memory=providers.Singleton(make_memory_datastore, config.datastore, storage_classes=storage_classes,
                                   formatters=formatters, create=config.runtime.create,
                                   writeable=config.runtime.writeable),
        objectstore=providers.Singleton(make_objectstore_datastore, config.datastore,
                                        storage_classes=storage_classes, formatters=formatters,
                                        create=config.runtime.create, writeable=config.runtime.writeable),
        cache=providers.Singleton(build_cache_datastore, config.datastore, storage_classes=storage_classes,
                                  formatters=formatters, create=config.runtime.create,
                                  writeable=config.runtime.writeable),
        chained=providers.Singleton(build_chained_datastore, config.datastore, storage_classes=storage_classes,
                                    formatters=formatters, create=config.runtime.create,
                                    writeable=config.runtime.writeable),
    )


def build_container(config: Mapping[str, Any], *, create: bool, writeable: bool) -> RepositoryContainer:
    """A container for an interpolated ``config``, with entry-point adapters added as needed."""
    container = RepositoryContainer()
    container.config.from_dict({"storage_classes": {}, **config,
                                "runtime": {"create": create, "writeable": writeable}})
    registry_name = config["registry"]["adapter"]
    if registry_name not in container.registry.providers:
        factory = load_factory(REGISTRY_GROUP, registry_name, builtin=container.registry.providers)
        container.registry.set_providers(**container.registry.providers, **{registry_name: providers.Singleton(
            factory, container.config.registry, universe=container.universe,
            create=container.config.runtime.create, writeable=container.config.runtime.writeable)})
    datastore_name = config["datastore"]["adapter"]
    if datastore_name not in container.datastore.providers:
        factory = load_factory(DATASTORE_GROUP, datastore_name, builtin=container.datastore.providers)
        container.datastore.set_providers(**container.datastore.providers, **{datastore_name: providers.Singleton(
            factory, container.config.datastore, storage_classes=container.storage_classes,
            formatters=container.formatters, create=container.config.runtime.create,
            writeable=container.config.runtime.writeable)})
    return container
