"""PipelineTask: connections, the DataUnits of one quantum, a typed config, and a pure ``run``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs

from ..errors import PipelineError
from ..suggestions import hint
from .connections import Connection, ConnectionKind


@attrs.frozen
class NoConfig:
    """The config of a task that has no options."""


class PipelineTask:
    """Base class of tasks: declare connections as class attributes, the quantum's ``units``, and ``run``.

    ``run(**inputs)`` receives one keyword per input and prerequisite connection (a list for
    ``multiple`` ones) and returns a mapping from output connection names to objects. It never
    sees a butler, so it can be tested with plain Python values.
    """

    units: ClassVar[tuple[str, ...]] = ()
    """The DataUnits of one quantum of this task."""
    config_class: ClassVar[type[Any]] = NoConfig
    """An attrs class: the typed options of this task, recorded with each quantum."""
    connections: ClassVar[Mapping[str, Connection]] = {}
    """The connections, by attribute name (collected from the class and its bases)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Connection] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Connection):
                    found[name] = value
        cls.connections = found
        if not attrs.has(cls.config_class):
            raise PipelineError(f"task {cls.__qualname__}: config_class must be an attrs class, "
                                f"not {cls.config_class!r}")

    def __init__(self, config: Any = None) -> None:
        self.config = type(self).config_class() if config is None else config
        if not isinstance(self.config, type(self).config_class):
            raise PipelineError(f"task {type(self).__qualname__} takes a {type(self).config_class.__qualname__} "
                                f"config, not {type(self.config).__name__}")

    def run(self, **inputs: Any) -> Mapping[str, Any]:
        """Compute the outputs of one quantum from its inputs (override this)."""
        raise PipelineError(f"task {type(self).__qualname__} does not define run()")

    @classmethod
    def connections_of(cls, kind: ConnectionKind) -> dict[str, Connection]:
        """The connections of one kind, by name."""
        return {name: c for name, c in cls.connections.items() if c.kind is kind}

    @classmethod
    def make_config(cls, values: Mapping[str, Any] | None) -> Any:
        """This task's config from plain values (a YAML mapping); unknown keys name the valid ones."""
        values = dict(values or {})
        fields = {f.name: f for f in attrs.fields(cls.config_class)}
        for key in values:
            if key not in fields:
                raise PipelineError(f"task {cls.__qualname__} has no config option {key!r} "
                                    f"({valid_keys(key, fields)})")
        try:
            return cls.config_class(**values)
        except (TypeError, ValueError) as err:
            raise PipelineError(f"task {cls.__qualname__}: invalid config {values!r}: {err}") from None


def valid_keys(key: str, valid: Iterable[str]) -> str:
    """``valid keys: a, b; did you mean 'a'?`` for an unknown ``key``."""
    names = sorted(valid)
    suggestion = hint(key, names)
    return f"valid keys: {', '.join(names) or 'none'}" + (f"; {suggestion}" if suggestion else "")


def config_values(config: Any) -> dict[str, Any]:
    """A task config as plain values (for the quantum record and the graph file)."""
    return attrs.asdict(config, recurse=True)
