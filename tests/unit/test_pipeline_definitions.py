"""Pipelines that cannot be built: each mistake is one clear PipelineError, and the repository is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, DatasetType
from databutler.domain.errors import PipelineError
from databutler.domain.pipeline import Input, Output, Pipeline, PipelineTask, TaskNode, class_path
from databutler.service.pipeline import build_quantum_graph, import_task, load_pipeline, pipeline_from_mapping
from databutler.testing.pipeline_tasks import (
    CALEXP,
    DETECTOR_UNITS,
    INPUTS,
    RAW,
    CalibrateTask,
    VisitSummaryTask,
    pipeline_mapping,
    repository_state,
    setup_repository,
    three_task_pipeline,
)


@pytest.fixture
def butler(tmp_path: Path) -> Any:
    """A repository holding the three-task pipeline's inputs."""
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler)
        yield butler


class MisspelledUnitTask(PipelineTask):
    """Reads raws by a DataUnit the universe does not have."""

    units = DETECTOR_UNITS
    raw = Input(RAW, ("instrument", "visitt", "detector"), "StructuredData")
    calexp = Output("misspelled_out", DETECTOR_UNITS, "StructuredData")


class SecondCalexpWriter(PipelineTask):
    """Writes the calexps CalibrateTask writes."""

    units = DETECTOR_UNITS
    raw = Input(RAW, DETECTOR_UNITS, "StructuredData")
    calexp = Output(CALEXP, DETECTOR_UNITS, "StructuredData")


class ForwardTask(PipelineTask):
    """Reads ``loop_a`` and writes ``loop_b``."""

    units = DETECTOR_UNITS
    source = Input("loop_a", DETECTOR_UNITS, "StructuredData")
    target = Output("loop_b", DETECTOR_UNITS, "StructuredData")


class BackwardTask(PipelineTask):
    """Reads ``loop_b`` and writes ``loop_a``: with ForwardTask, a cycle."""

    units = DETECTOR_UNITS
    source = Input("loop_b", DETECTOR_UNITS, "StructuredData")
    target = Output("loop_a", DETECTOR_UNITS, "StructuredData")


def test_task_class_that_cannot_be_imported_is_named_in_the_error() -> None:
    with pytest.raises(PipelineError, match=r"cannot import task class 'databutler\.testing\.no_such_module:Task'"):
        import_task("databutler.testing.no_such_module:Task")
    with pytest.raises(PipelineError, match=r"module 'databutler\.testing\.pipeline_tasks' has no 'NoSuchTask'"):
        pipeline_from_mapping({"tasks": {"calibrate": "databutler.testing.pipeline_tasks:NoSuchTask"}})
    with pytest.raises(PipelineError, match="not a PipelineTask subclass"):
        import_task("databutler.testing.pipeline_tasks:CalibrateConfig")


def test_connection_naming_an_unknown_data_unit_is_refused_at_preflight_and_nothing_is_written(
        butler: Butler) -> None:
    pipeline = Pipeline([TaskNode("misspelled", MisspelledUnitTask)])
    before = repository_state(butler)
    with pytest.raises(PipelineError, match=r"connection 'raw' name unknown DataUnit 'visitt'.*'visit'"):
        build_quantum_graph(butler, pipeline, INPUTS, "out/run")
    assert repository_state(butler) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("taks:\n  calibrate: x.y:Z\n", r"unknown key 'taks' \(valid keys: description, tasks; did you mean 'tasks'"),
    (f"tasks:\n  calibrate:\n    clas: {class_path(CalibrateTask)}\n",
     r"task 'calibrate' has unknown key 'clas' \(valid keys: class, config; did you mean 'class'"),
])
def test_pipeline_file_with_a_typo_in_a_key_lists_the_valid_keys(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    with pytest.raises(PipelineError, match=expected):
        load_pipeline(path)


def test_pipeline_file_loads_when_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("tasks:\n" + "".join(f"  {label}: {spec if isinstance(spec, str) else spec['class']}\n"
                                         for label, spec in pipeline_mapping()["tasks"].items()))
    pipeline = load_pipeline(path)
    assert pipeline.labels == ("calibrate", "visit_summary", "instrument_summary")
    assert pipeline.upstream("instrument_summary") == ("visit_summary",)


def test_two_producers_of_one_dataset_type_name_both_tasks() -> None:
    with pytest.raises(PipelineError, match=r"'pipe_calexp' is written by two tasks: 'calibrate' and 'again'"):
        Pipeline([TaskNode("calibrate", CalibrateTask), TaskNode("again", SecondCalexpWriter)])


def test_a_cycle_names_the_tasks_in_it() -> None:
    with pytest.raises(PipelineError, match=r"the tasks \['backward', 'forward'\] form a cycle"):
        Pipeline([TaskNode("forward", ForwardTask), TaskNode("backward", BackwardTask)])


def test_tasks_run_in_dependency_order_whatever_the_file_order() -> None:
    pipeline = pipeline_from_mapping({"tasks": {"visit_summary": class_path(VisitSummaryTask),
                                                "calibrate": class_path(CalibrateTask)}})
    assert pipeline.labels == ("calibrate", "visit_summary")


@pytest.mark.parametrize(("registered", "expected"), [
    (DatasetType(CALEXP, DETECTOR_UNITS, "StructuredDataDict"),
     r"'pipe_calexp' has StorageClass 'StructuredData' in the pipeline but 'StructuredDataDict' in the repository"),
    (DatasetType(CALEXP, ("instrument", "visit"), "StructuredData"),
     r"'pipe_calexp' has DataUnits \['instrument', 'detector', 'visit'\] in the pipeline but "
     r"\['instrument', 'visit'\] in the repository"),
])
def test_dataset_type_disagreeing_with_the_registry_names_both_sides_and_nothing_is_written(
        butler: Butler, registered: DatasetType, expected: str) -> None:
    butler.registry.register_dataset_type(registered)
    before = repository_state(butler)
    with pytest.raises(PipelineError, match=expected):
        build_quantum_graph(butler, three_task_pipeline(), INPUTS, "out/run")
    assert repository_state(butler) == before


def test_unknown_config_option_names_the_valid_ones() -> None:
    with pytest.raises(PipelineError, match=r"task 'calibrate'.* no config option 'scael' \(valid keys: "
                                            r"fail_detector, fail_visit, failure, marker, scale; did you mean 'scale'"):
        three_task_pipeline(scael=2.0)


def test_invalid_config_value_is_a_pipeline_error() -> None:
    with pytest.raises(PipelineError, match=r"task 'calibrate'.*invalid config.*'failure'"):
        three_task_pipeline(failure="explode")


def test_config_values_are_typed_and_kept() -> None:
    pipeline = three_task_pipeline(scale=3.0)
    assert pipeline["calibrate"].config_values()["scale"] == 3.0
    assert pipeline["visit_summary"].config_values() == {}


def test_bare_task_name_not_among_the_entry_points_names_the_group() -> None:
    with pytest.raises(PipelineError, match=r"no task 'no_such_task' among the 'databutler.tasks' entry points.*"
                                            r"or name it 'package.module:Class'"):
        pipeline_from_mapping({"tasks": {"calibrate": "no_such_task"}})
