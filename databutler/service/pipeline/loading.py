"""Reading pipelines: YAML files naming task classes (``pkg.mod:Cls`` or a ``databutler.tasks`` entry point)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

import yaml

from ...domain.errors import PipelineError
from ...domain.pipeline import Pipeline, PipelineTask, TaskNode
from ...domain.pipeline.task import valid_keys

TASK_ENTRY_POINTS = "databutler.tasks"
PIPELINE_KEYS = ("description", "tasks")
TASK_KEYS = ("class", "config")


def import_task(name: str) -> type[PipelineTask]:
    """The task class ``name`` names: ``package.module:Class`` or an entry point of ``databutler.tasks``."""
    if not isinstance(name, str) or not name:
        raise PipelineError(f"a task class is named by a string 'package.module:Class', not {name!r}")
    if ":" not in name and "." not in name:
        found = [ep for ep in entry_points(group=TASK_ENTRY_POINTS) if ep.name == name]
        if not found:
            known = sorted(ep.name for ep in entry_points(group=TASK_ENTRY_POINTS))
            raise PipelineError(f"no task {name!r} among the {TASK_ENTRY_POINTS!r} entry points "
                                f"({', '.join(known) or 'none installed'}); or name it 'package.module:Class'")
        name = found[0].value
    module_name, _, attribute = name.partition(":") if ":" in name else name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise PipelineError(f"cannot import task class {name!r}: {err}") from None
    target: Any = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise PipelineError(f"cannot import task class {name!r}: module {module_name!r} has no {attribute!r}")
    if not (isinstance(target, type) and issubclass(target, PipelineTask)):
        raise PipelineError(f"{name!r} is {target!r}, not a PipelineTask subclass")
    return target


def pipeline_from_mapping(data: Any, *, where: str = "pipeline",
                          import_task: Callable[[str], type[Any]] | None = None) -> Pipeline:
    """A pipeline from ``{description: ..., tasks: {label: {class: ..., config: {...}} | "pkg.mod:Cls"}}``."""
    if not isinstance(data, Mapping):
        raise PipelineError(f"{where}: a pipeline is a mapping with a 'tasks' key, not {type(data).__name__}")
    for key in data:
        if key not in PIPELINE_KEYS:
            raise PipelineError(f"{where}: unknown key {key!r} ({valid_keys(str(key), PIPELINE_KEYS)})")
    tasks = data.get("tasks")
    if not isinstance(tasks, Mapping) or not tasks:
        raise PipelineError(f"{where}: 'tasks' must map task labels to task classes")
    rows = []
    for label, spec in tasks.items():
        if isinstance(spec, str):
            spec = {"class": spec}  # noqa: PLW2901 - the short form, read as the long one
        if not isinstance(spec, Mapping):
            raise PipelineError(f"{where}: task {label!r} must be a class name or a mapping with 'class' and "
                                f"'config', not {type(spec).__name__}")
        for key in spec:
            if key not in TASK_KEYS:
                raise PipelineError(f"{where}: task {label!r} has unknown key {key!r} "
                                    f"({valid_keys(str(key), TASK_KEYS)})")
        if "class" not in spec:
            raise PipelineError(f"{where}: task {label!r} names no 'class'")
        rows.append({"label": label, "class": spec["class"], "config": spec.get("config") or {}})
    description = data.get("description") or ""
    return pipeline_from_tasks(rows, import_task=import_task, description=str(description))


def pipeline_from_tasks(rows: Sequence[Mapping[str, Any]], *, description: str = "",
                        import_task: Callable[[str], type[Any]] | None = None) -> Pipeline:
    """A pipeline from ``[{label, class, config}]`` rows (the graph file's form)."""
    load = import_task or globals()["import_task"]
    nodes = []
    for row in rows:
        task_class = load(row["class"])
        config = row.get("config") or {}
        if not isinstance(config, Mapping):
            raise PipelineError(f"task {row['label']!r}: 'config' must be a mapping of option values")
        try:
            nodes.append(TaskNode(str(row["label"]), task_class, task_class.make_config(config)))
        except PipelineError as err:
            raise PipelineError(f"task {row['label']!r}: {err}") from None
    return Pipeline(nodes, description=description)


def load_pipeline(source: str | os.PathLike[str]) -> Pipeline:
    """Read a pipeline YAML file."""
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as stream:
            data = yaml.safe_load(stream)
    except OSError as err:
        raise PipelineError(f"cannot read pipeline {path!r}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise PipelineError(f"pipeline {path!r} is not valid YAML: {err}") from None
    return pipeline_from_mapping(data, where=path)
