"""Building a DbbDatastore from the ``datastore:`` section of butler.yaml.

::

    datastore:
      adapter: dbb
      url: postgresql://pipeline@db.example.org/desoper   # the DESDM database (SQLAlchemy URL)
      namespace: desdm                                    # its PostgreSQL schema (optional)
      credentials_file: ~/.desdm-password.yaml            # the password, if not in the url (optional)
      archive: desar2home                                 # OPS_ARCHIVE.NAME: the root is read from there
      pattern: "{run}/{dataset_type}/{dataset_type}_{data_id}"   # optional; per dataset type as a mapping
      formatters: {StructuredDataDict: yaml}              # optional, as for posix
      fsync: false                                        # optional, as for posix
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError, PathTemplateError
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import check_relative_path
from ...ports.formatter import FormatterSet
from ..files.options import check_known, file_options
from ..sql.credentials import mask_secrets, shown, with_credentials
from ..sql.engine import create_sql_engine, parse_url
from .archive import ArchiveCatalog
from .datastore import CHECKSUM, DbbDatastore

DEFAULT_PATTERN = "{run}/{dataset_type}/{dataset_type}_{data_id}"
"""DESDM-like: a directory per run and file type, and file names that say their type (unique in DESFILE)."""

KNOWN = frozenset({"adapter", "url", "namespace", "credentials_file", "archive", "pattern", "checksum",
                   "formatters", "fsync"})
_NAMESPACE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def make_dbb_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry,
                       formatters: FormatterSet, create: bool, writeable: bool) -> DbbDatastore:
    """A DbbDatastore in the archive ``options`` name, its root read from OPS_ARCHIVE of the DESDM database."""
    if not isinstance(options, Mapping):
        raise ConfigError(f"dbb datastore options must be a mapping, got {type(options).__name__}")
    for option, instead in (("root", "the root is OPS_ARCHIVE.ROOT of 'archive'"),
                            ("template", "name the directory/file layout with 'pattern'")):
        if option in options:
            raise ConfigError(f"dbb datastore: option {option!r} is not used: {instead}")
    check_known(options, KNOWN, "dbb")
    checksum = options.get("checksum", CHECKSUM)
    if checksum != CHECKSUM:
        raise ConfigError(f"dbb datastore: checksums are {CHECKSUM} as DESDM records them (DESFILE.MD5SUM); "
                          f"'checksum' may only be {CHECKSUM!r}, got {checksum!r}")
    pattern = options.get("pattern", DEFAULT_PATTERN)
    _check_pattern(pattern)
    common = file_options({"template": pattern, "checksum": CHECKSUM, "formatters": options.get("formatters")},
                          formatters, "dbb")
    archive = options.get("archive")
    if not isinstance(archive, str) or not archive:
        raise ConfigError("dbb datastore: 'archive' must name an archive of OPS_ARCHIVE, e.g. archive: desar2home")
    fsync = options.get("fsync", False)
    if not isinstance(fsync, bool):
        raise ConfigError(f"dbb datastore: 'fsync' must be true or false, got {fsync!r}")
    if create and not writeable:
        raise ConfigError("dbb datastore: cannot create a datastore opened read-only")
    catalog = _catalog(options)
    try:
        root = _root(catalog.archive_root(archive), archive, create=create)
        return DbbDatastore(root, archive=archive, catalog=catalog, storage_classes=storage_classes,
                            formatters=common.formatters, templates=common.templates, fsync=fsync,
                            writeable=writeable)
    except BaseException:
        catalog.close()
        raise


def _catalog(options: Mapping[str, Any]) -> ArchiveCatalog:
    """The DESDM catalog at ``url`` (with the password of ``credentials_file``), tables in ``namespace``."""
    url = options.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError("dbb datastore: 'url' must be the SQLAlchemy URL of the DESDM database, e.g. "
                          "postgresql://pipeline@db.example.org/desoper")
    namespace = options.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace)):
        raise ConfigError(f"dbb datastore: 'namespace' must be a PostgreSQL schema name (letters, digits and _, "
                          f"not starting with a digit, at most 63 characters), got {namespace!r}")
    parsed = parse_url(url)
    credentials_file = options.get("credentials_file")
    if credentials_file is not None:
        if not isinstance(credentials_file, str) or not credentials_file:
            raise ConfigError("dbb datastore: 'credentials_file' must be a path")
        parsed = with_credentials(parsed, credentials_file)
    try:
        engine = create_sql_engine(parsed)
    except ConfigError as err:
        raise ConfigError(mask_secrets(f"dbb datastore: {err}")) from None
    return ArchiveCatalog(engine, namespace, shown(parsed))


def _check_pattern(pattern: Any) -> None:
    """Refuse a pattern whose fixed text alone would lead out of the archive root (``../``, ``/abs``)."""
    patterns = pattern.values() if isinstance(pattern, Mapping) else [pattern]
    for text in patterns:
        if not isinstance(text, str):
            raise ConfigError(f"dbb datastore: 'pattern' must be a string or a mapping of dataset type names "
                              f"(and 'default') to strings, got {pattern!r}")
        try:
            sample = "".join(literal + ("x" if field is not None else "")
                             for literal, field, _, _ in string.Formatter().parse(text))
            check_relative_path(sample)
        except ValueError:
            continue  # malformed: file_options says how
        except PathTemplateError as err:
            raise ConfigError(f"dbb datastore: pattern {text!r} would place files outside the archive root: "
                              f"{err}") from None


def _root(root: str, archive: str, *, create: bool) -> str:
    """The archive's root as an absolute path, made if ``create``; ConfigError if it is not a directory."""
    root = os.path.abspath(os.path.expanduser(root))
    if create:
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"dbb datastore: cannot create the root {root} of archive {archive!r}: "
                              f"{err.strerror}") from None
    elif not os.path.isdir(root):
        raise ConfigError(f"dbb datastore: the root {root} of archive {archive!r} (OPS_ARCHIVE.ROOT) is not a "
                          "directory; create it, or create the repository with this config")
    return root
