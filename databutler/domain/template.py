"""File templates: render a Dataset's relative path, never one that leaves the datastore root."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping

import attrs

from .dataset import DatasetRef
from .errors import PathTemplateError

DEFAULT_TEMPLATE = "{run}/{dataset_type}/{data_id}"
_SPECIAL = ("run", "dataset_type", "component", "id", "data_id")


def check_relative_path(path: str) -> str:
    """Return ``path`` if it is a clean relative POSIX path that stays below its root."""
    if not path:
        raise PathTemplateError("a dataset path may not be empty")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise PathTemplateError(f"dataset path {path!r} is absolute; templates must render relative paths")
    for char in path:
        if char == "\\" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise PathTemplateError(f"dataset path {path!r} contains the forbidden character {char!r}")
    for part in path.split("/"):
        if part in ("", ".", ".."):
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

    def __attrs_post_init__(self) -> None:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.template) if f is not None]
        except ValueError as err:
            raise PathTemplateError(f"file template {self.template!r} is malformed: {err}") from None
        if not fields:
            raise PathTemplateError(f"file template {self.template!r} has no fields")
        if not any(f in ("data_id", "id") or f not in _SPECIAL for f in fields):
            raise PathTemplateError(f"file template {self.template!r} must contain {{data_id}}, {{id}} "
                                    "or DataUnit fields so that paths are unique")

    def render(self, ref: DatasetRef, component: str | None = None) -> str:
        """Return the relative path (without extension) for ``ref``; raise PathTemplateError if unsafe."""
        values: dict[str, str] = {
            "run": ref.run,
            "dataset_type": ref.dataset_type.name,
            "id": ref.id.hex,
            "data_id": "_".join(f"{k}={v}" for k, v in ref.data_id.items()),
        }
        if component is not None:
            values["component"] = component
        for unit, value in ref.data_id.full.items():
            values.setdefault(unit, str(value))
        return check_relative_path(self._substitute(values))

    def _substitute(self, values: Mapping[str, str]) -> str:
        out: list[str] = []
        for literal, field, spec, _ in string.Formatter().parse(self.template):
            out.append(literal)
            if field is None:
                continue
            value = values.get(field)
            if value is None:
                if spec == "?":
                    if out and out[-1] and out[-1][-1] in "/_-.":
                        out[-1] = out[-1][:-1]
                    continue
                raise PathTemplateError(f"file template {self.template!r} needs {field!r}, which "
                                        f"{'this dataset lacks' if field in _SPECIAL else 'is not in its DataId'}; "
                                        f"mark it optional as {{{field}:?}}")
            if field != "run" and "/" in value:
                raise PathTemplateError(f"value {value!r} of template field {field!r} contains '/'")
            out.append(value)
        return "".join(out)
