"""Building a DbbRegistry from the ``registry:`` section of butler.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.universe import Universe
from ..sql.credentials import with_credentials
from ..sql.engine import parse_url
from .opening import Settings, create, open_existing
from .registry import DbbRegistry

_KNOWN = frozenset({"adapter", "url", "namespace", "units", "archive", "reqnum", "delivered_run", "metadata_tables",
                    "busy_timeout_s", "credentials_file"})


def settings_of(options: Mapping[str, Any]) -> Settings:
    """The checked options of a ``registry: {adapter: dbb, ...}`` section."""
    if not isinstance(options, Mapping):
        raise ConfigError(f"registry options must be a mapping, got {type(options).__name__}")
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ConfigError(f"unknown dbb registry options {unknown}; known options are {sorted(_KNOWN)}")
    url = options.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError("the dbb registry needs a 'url' option: the SQLAlchemy URL of the DESDM database")
    credentials = options.get("credentials_file")
    if credentials is not None:
        if not isinstance(credentials, str) or not credentials:
            raise ConfigError("registry option 'credentials_file' must be a path")
        url = with_credentials(parse_url(url), credentials).render_as_string(hide_password=False)
    namespace = options.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not namespace.isidentifier()):
        raise ConfigError(f"dbb registry option 'namespace' must be a PostgreSQL schema name, got {namespace!r}")
    units = options.get("units") or {}
    if not isinstance(units, Mapping):
        raise ConfigError(f"dbb registry option 'units' maps metadata columns to DataUnits, got {units!r}")
    archive = options.get("archive")
    if archive is not None and (not isinstance(archive, str) or not archive):
        raise ConfigError(f"dbb registry option 'archive' must be an OPS_ARCHIVE name, got {archive!r}")
    reqnum = options.get("reqnum", 0)
    if isinstance(reqnum, bool) or not isinstance(reqnum, int) or reqnum < 0:
        raise ConfigError(f"dbb registry option 'reqnum' must be a non-negative integer, got {reqnum!r}")
    delivered = options.get("delivered_run", "delivered")
    if not isinstance(delivered, str) or not delivered:
        raise ConfigError(f"dbb registry option 'delivered_run' must be a collection name, got {delivered!r}")
    tables = options.get("metadata_tables", ())
    if isinstance(tables, str) or not all(isinstance(t, str) for t in tables):
        raise ConfigError(f"dbb registry option 'metadata_tables' must be a list of table names, got {tables!r}")
    busy = options.get("busy_timeout_s", 30.0)
    if isinstance(busy, bool) or not isinstance(busy, int | float) or busy <= 0:
        raise ConfigError(f"dbb registry option 'busy_timeout_s' must be a positive number, got {busy!r}")
    return Settings(url, namespace, {str(k): str(v) for k, v in units.items()}, archive, reqnum, delivered,
                    tuple(tables), float(busy))


def make_registry(options: Mapping[str, Any], *, universe: Universe | None, create: bool,
                  writeable: bool) -> DbbRegistry:
    """Create (side tables) or open the DbbRegistry that ``options`` describe."""
    settings = settings_of(options)
    if create:
        if universe is None:
            raise ConfigError("creating a registry needs a universe")
        if not writeable:
            raise ConfigError("a registry cannot be created read-only")
        registry = DbbRegistry(_create(settings, universe), writeable=True)
        try:
            registry.adopt_data_units()
        except BaseException:
            registry.close()
            raise
        return registry
    return DbbRegistry(open_existing(settings), writeable=writeable)


_create = create
