"""Options every file datastore reads from its ``datastore:`` section: root, template, checksum, formatters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...domain.errors import ConfigError
from ...domain.template import FileTemplates
from ...ports.formatter import FormatterSet
from .checksums import DEFAULT_ALGORITHM, hash_factory

COMMON_OPTIONS = frozenset({"adapter", "root", "template", "checksum", "formatters"})


def check_known(options: Mapping[str, Any], known: frozenset[str], adapter: str) -> None:
    """Refuse options not in ``known``: a typo such as "chekcsum" must not be silently ignored."""
    unknown = set(options) - known
    if unknown:
        raise ConfigError(f"{adapter} datastore: unknown options {sorted(unknown)}; known: {sorted(known)}")


def checksum_option(options: Mapping[str, Any], adapter: str) -> str | None:
    """The ``checksum`` algorithm (blake2b by default; null disables checksums)."""
    checksum = options.get("checksum", DEFAULT_ALGORITHM)
    if checksum is not None:
        if not isinstance(checksum, str):
            raise ConfigError(f"{adapter} datastore: 'checksum' must be a hashlib algorithm name or null, "
                              f"got {checksum!r}")
        hash_factory(checksum)
    return checksum  # type: ignore[no-any-return]


def formatters_option(options: Mapping[str, Any], formatters: FormatterSet, adapter: str) -> FormatterSet:
    """``formatters`` with the per-StorageClass default overrides of the ``formatters`` option."""
    overrides = options.get("formatters") or {}
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{adapter} datastore: 'formatters' must map storage class names to formatter names")
    return formatters.with_defaults(overrides) if overrides else formatters


@attrs.frozen
class FileOptions:
    """The options every file datastore shares, read and checked."""

    templates: FileTemplates
    checksum: str | None
    formatters: FormatterSet


def file_options(options: Mapping[str, Any], formatters: FormatterSet, adapter: str,
                 extra: frozenset[str] = frozenset()) -> FileOptions:
    """Refuse options other than the common ones and ``extra``; read ``template``, ``checksum``, ``formatters``."""
    check_known(options, COMMON_OPTIONS | extra, adapter)
    return FileOptions(FileTemplates.from_config(options.get("template")), checksum_option(options, adapter),
                       formatters_option(options, formatters, adapter))
