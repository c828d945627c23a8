"""Building a SqlRegistry from the ``registry:`` section of butler.yaml."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.universe import Universe
from ...ports.migration import MigrationReport
from .credentials import with_credentials
from .engine import DEFAULT_BUSY_TIMEOUT_S, parse_url
from .migrations import migrate_database
from .query.read_only import DEFAULT_SELECT_TIMEOUT_S
from .registry import SqlRegistry
from .release import Release

_KNOWN = frozenset({"adapter", "url", "namespace", "busy_timeout_s", "echo", "credentials_file", "release",
                    "select_timeout_s"})
_RELEASE_KNOWN = frozenset({"url", "namespace"})
_NAMESPACE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def make_registry(options: Mapping[str, Any], *, universe: Universe | None, create: bool,
                  writeable: bool) -> SqlRegistry:
    """Create or open the SqlRegistry that ``options`` describe.

    Options: url, namespace (a PostgreSQL schema), busy_timeout_s, select_timeout_s (how long one
    select_sql statement may run, 30 s by default), echo, credentials_file (a
    private YAML file with the password; see ``credentials``), release (a mapping with the url
    and/or namespace of the read-only release registry a personal registry is layered over; see
    ``release``). When opening, the universe stored in the registry is used and ``universe`` is
    ignored.
    """
    if not isinstance(options, Mapping):
        raise ConfigError(f"registry options must be a mapping, got {type(options).__name__}")
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ConfigError(f"unknown sql registry options {unknown}; known options are {sorted(_KNOWN)}")
    url, namespace = _database(options)
    release = _release(options.get("release"))
    busy_timeout_s = options.get("busy_timeout_s", DEFAULT_BUSY_TIMEOUT_S)
    if isinstance(busy_timeout_s, bool) or not isinstance(busy_timeout_s, int | float) or busy_timeout_s <= 0:
        raise ConfigError(f"registry option 'busy_timeout_s' must be a positive number, got {busy_timeout_s!r}")
    select_timeout_s = options.get("select_timeout_s", DEFAULT_SELECT_TIMEOUT_S)
    if isinstance(select_timeout_s, bool) or not isinstance(select_timeout_s, int | float) or not (
            0 < select_timeout_s < math.inf):
        raise ConfigError(f"registry option 'select_timeout_s' must be a positive number of seconds, got "
                          f"{select_timeout_s!r}")
    echo = options.get("echo", False)
    if not isinstance(echo, bool):
        raise ConfigError(f"registry option 'echo' must be true or false, got {echo!r}")
    if create:
        if universe is None:
            raise ConfigError("creating a registry needs a universe")
        if not writeable:
            raise ConfigError("a registry cannot be created read-only")
        return SqlRegistry.create(url, universe, namespace=namespace, release=release,
                                  busy_timeout_s=float(busy_timeout_s), echo=echo,
                                  select_timeout_s=float(select_timeout_s))
    return SqlRegistry.open(url, namespace=namespace, release=release, writeable=writeable,
                            busy_timeout_s=float(busy_timeout_s), echo=echo,
                            select_timeout_s=float(select_timeout_s))


def migrate_registry(options: Mapping[str, Any], *, dry_run: bool = False) -> MigrationReport:
    """Upgrade the SqlRegistry that ``options`` describe to this databutler's schema version (see ``migrations``)."""
    if not isinstance(options, Mapping):
        raise ConfigError(f"registry options must be a mapping, got {type(options).__name__}")
    url, namespace = _database(options)
    return migrate_database(url, namespace=namespace, dry_run=dry_run)


def _database(options: Mapping[str, Any]) -> tuple[str, str | None]:
    """The database URL (with the password from ``credentials_file``, if given) and namespace of ``options``."""
    url = options.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError("the sql registry needs a 'url' option, e.g. 'sqlite:///{root}/registry.sqlite3'")
    namespace = _namespace(options.get("namespace"), "namespace")
    credentials_file = options.get("credentials_file")
    if credentials_file is not None:
        if not isinstance(credentials_file, str) or not credentials_file:
            raise ConfigError("registry option 'credentials_file' must be a path")
        url = with_credentials(parse_url(url), credentials_file).render_as_string(hide_password=False)
    return url, namespace


def _namespace(value: Any, option: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not _NAMESPACE.fullmatch(value)):
        raise ConfigError(f"registry option {option!r} must be a PostgreSQL schema name (letters, digits and _, "
                          f"not starting with a digit, at most 63 characters), got {value!r}")
    return value


def _release(value: Any) -> Release | None:
    """The ``release`` option: where the release registry under a personal registry is."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError("registry option 'release' must be a mapping with the release's url (SQLite) or "
                          f"namespace (PostgreSQL), got {value!r}")
    unknown = sorted(set(value) - _RELEASE_KNOWN)
    if unknown:
        raise ConfigError(f"unknown registry release options {unknown}; known options are {sorted(_RELEASE_KNOWN)}")
    url = value.get("url")
    if url is not None and (not isinstance(url, str) or not url):
        raise ConfigError(f"registry option 'release.url' must be a database URL, got {url!r}")
    namespace = _namespace(value.get("namespace"), "release.namespace")
    if url is None and namespace is None:
        raise ConfigError("registry option 'release' needs the release's url (SQLite) or namespace (PostgreSQL)")
    return Release(url=url, namespace=namespace)
