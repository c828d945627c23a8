"""Options every file datastore reads from its ``datastore:`` section: root, template, checksum, formatters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.assembler import AssemblerSet, default_assembler_set
from ...ports.formatter import FormatterSet
from .checksums import DEFAULT_ALGORITHM, hash_factory
from .disassembly import Disassembly, disassemble_option

COMMON_OPTIONS = frozenset({"adapter", "root", "template", "checksum", "formatters", "disassemble"})


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
    disassembly: Disassembly = attrs.field(factory=Disassembly)
    assemblers: AssemblerSet = attrs.field(factory=default_assembler_set)


def file_options(options: Mapping[str, Any], formatters: FormatterSet, adapter: str,
                 extra: frozenset[str] = frozenset(), storage_classes: StorageClassRegistry | None = None
                 ) -> FileOptions:
    """Refuse options other than the common ones and ``extra``; read ``template``, ``checksum``, ``formatters``,
    ``disassemble`` (its StorageClass names checked against ``storage_classes`` when given)."""
    check_known(options, COMMON_OPTIONS | extra, adapter)
    assemblers = default_assembler_set()
    return FileOptions(FileTemplates.from_config(options.get("template")), checksum_option(options, adapter),
                       formatters_option(options, formatters, adapter),
                       disassemble_option(options, adapter, storage_classes, assemblers), assemblers)
