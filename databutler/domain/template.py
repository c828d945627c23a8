"""File templates: render a Dataset's relative path, never one that leaves the datastore root."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping

import attrs

from .dataset import DatasetRef
from .errors import ConfigError, PathTemplateError

DEFAULT_TEMPLATE = "{run}/{dataset_type}/{data_id}"
_SPECIAL = ("run", "dataset_type", "component", "id", "data_id")


def check_relative_path(path: str) -> str:
    """Return ``path`` if it is a clean relative POSIX path that stays below its root."""
    if not path:
        raise PathTemplateError("a dataset path may not be empty")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise PathTemplateError(f"dataset path {path!r} is absolute; templates must render relative paths")
    if not (path.isascii() and path.isprintable()) or "\\" in path:  # printable ASCII needs no per-character scan
        for char in path:
            if char == "\\" or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):  # Cs: not encodable
                raise PathTemplateError(f"dataset path {path!r} contains the forbidden character {char!r}")
    parts = path.split("/")
    if "" in parts or "." in parts or ".." in parts:
        raise PathTemplateError(f"dataset path {path!r} has an empty, '.' or '..' part; "
                                "it could leave the datastore root")
    return path


@attrs.frozen
class FileTemplate:
    """A path template such as ``{run}/{dataset_type}/{visit:?}/{data_id}``.

    Fields: ``run``, ``dataset_type``, ``component``, ``id``, ``data_id`` (all DataId values as
    ``unit=value`` joined by ``_``), and any DataUnit name of the (expanded) DataId. A ``:?``
    suffix makes a field optional: it and the separator before it vanish when it has no value.
    """

    template: str = DEFAULT_TEMPLATE
    _parsed: tuple[tuple[str, str | None, str], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        try:
            parsed = tuple((literal, field, spec or "")
                           for literal, field, spec, _ in string.Formatter().parse(self.template))
        except ValueError as err:
            raise PathTemplateError(f"file template {self.template!r} is malformed: {err}") from None
        fields = [field for _, field, _ in parsed if field is not None]
        if not fields:
            raise PathTemplateError(f"file template {self.template!r} has no fields")
        if not any(f in ("data_id", "id") or f not in _SPECIAL for f in fields):
            raise PathTemplateError(f"file template {self.template!r} must contain {{data_id}}, {{id}} "
                                    "or DataUnit fields so that paths are unique")
        object.__setattr__(self, "_parsed", parsed)  # parsed once: render runs on every write

    def render(self, ref: DatasetRef, component: str | None = None) -> str:
        """Return the relative path (without extension) for ``ref``; raise PathTemplateError if unsafe."""
        out: list[str] = []
        for literal, field, spec in self._parsed:
            out.append(literal)
            if field is None:
                continue
            value = _field_value(field, ref, component)
            if value is None:
                if spec == "?":
                    if out and out[-1] and out[-1][-1] in "/_-.":
                        out[-1] = out[-1][:-1]
                    continue
                raise PathTemplateError(f"file template {self.template!r} needs {field!r}, which "
                                        f"{'this dataset lacks' if field in _SPECIAL else 'is not in its DataId'}; "
                                        f"mark it optional as {{{field}:?}}")
            out.append(value if field == "run" else _one_component(value))
        return check_relative_path("".join(out))


def _one_component(value: str) -> str:
    """``value`` as one path component: ``%`` and ``/`` (allowed in key values) percent-encoded."""
    if "/" not in value and "%" not in value:
        return value
    return value.replace("%", "%25").replace("/", "%2F")


def _field_value(field: str, ref: DatasetRef, component: str | None) -> str | None:
    """The value of template field ``field`` for ``ref``, or None if it has none."""
    if field == "run":
        return ref.run
    if field == "dataset_type":
        return ref.dataset_type.name
    if field == "data_id":
        return "_".join(f"{k}={v}" for k, v in ref.data_id.items())
    if field == "id":
        return ref.id.hex
    if field == "component":
        return component
    value = ref.data_id.full.get(field)
    return None if value is None else str(value)


@attrs.frozen
class FileTemplates:
    """The file template of each DatasetType, with a default for the others."""

    default: FileTemplate = FileTemplate()
    by_dataset_type: Mapping[str, FileTemplate] = attrs.field(factory=dict)

    @classmethod
    def from_config(cls, spec: str | Mapping[str, str] | None) -> FileTemplates:
        """Templates from a ``template:`` setting: one template, or DatasetType names (and ``default``) to templates."""
        if spec is None:
            return cls()
        if isinstance(spec, str):
            spec = {"default": spec}
        if not isinstance(spec, Mapping) or not all(isinstance(v, str) for v in spec.values()):
            raise ConfigError(f"a datastore template must be a string or a mapping of dataset type names "
                              f"(and 'default') to strings, got {spec!r}")
        try:
            templates = {str(name): FileTemplate(text) for name, text in spec.items()}
        except PathTemplateError as err:
            raise ConfigError(f"datastore template: {err}") from None
        return cls(templates.pop("default", FileTemplate()), templates)

    def render(self, ref: DatasetRef, component: str | None = None) -> str:
        """The relative path (without extension) for ``ref`` from its DatasetType's template."""
        return self.by_dataset_type.get(ref.dataset_type.name, self.default).render(ref, component)
