"""`databutler pipeline build` and `pipeline run` on the example pipeline (examples/databutler-example-pipeline)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from databutler_example_pipeline import RAW_RUN, make_demo_repository

from databutler import Butler
from databutler.adapters.executors import ProcessPoolExecutorAdapter, SerialExecutor
from databutler.cli.main import cli
from databutler.config import executors
from databutler.config.executors import make_executor
from databutler.domain.errors import ConfigError

PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "databutler-example-pipeline" / "pipeline.yaml"
BIN = str(Path(sys.executable).with_name("databutler"))
VISITS, DETECTORS = 3, 4
EXPECTED_SURVEY = {"visits": VISITS, "detector_exposures": VISITS * DETECTORS}


def run(*args: str | Path) -> Result:
    """Run a databutler command in this process."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def plan(repo: Path, *extra: str | Path, output: str = "demo/run1") -> list[str | Path]:
    """The planning arguments of the example pipeline over the demo repository."""
    return [repo, PIPELINE, "-i", RAW_RUN, "-o", output, *extra]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example's demo input repository: 3 visits x 4 detectors of raws."""
    root = tmp_path / "repo"
    make_demo_repository(root, visits=VISITS, detectors=DETECTORS).close()
    return root


def survey(repo: Path, run_name: str) -> dict[str, object]:
    """The survey summary the pipeline wrote into ``run_name``."""
    with Butler(repo, collections=[run_name]) as butler:
        value = butler.get("survey_summary", instrument="DemoCam")
    assert isinstance(value, dict)
    return value


def test_build_prints_quanta_per_task_and_saves_a_graph_that_run_executes(repo: Path, tmp_path: Path) -> None:
    graph = tmp_path / "graph.json.gz"
    built = run("pipeline", "build", *plan(repo, "--save", graph))
    assert built.exit_code == 0, built.output
    assert "planned 16 quanta of 3 tasks" in built.stdout
    for label, count in (("calibrate", 12), ("visit_summary", 3), ("survey_summary", 1)):
        assert re.search(rf"│ {label}\s+│ {count}\s+│ 0\s+│ 0\s+│", built.stdout), built.stdout
    assert graph.exists()
    with Butler(repo) as butler:
        assert butler.registry.query_collections("demo/*") == [], "build writes nothing to the repository"

    ran = run("pipeline", "run", repo, "--graph", graph)
    assert ran.exit_code == 0, ran.output
    assert "ran 16 quanta" in ran.stdout
    assert survey(repo, "demo/run1").items() >= EXPECTED_SURVEY.items()

    again = run("pipeline", "run", repo, "--graph", graph)
    assert again.exit_code == 0, again.output
    assert "ran 0 quanta" in again.stdout, "a graph run again runs only what is missing"


def test_build_json_lists_tasks_and_is_one_object(repo: Path) -> None:
    built = run("pipeline", "build", *plan(repo, "--where", "visit IN (1, 2)", "-f", "json"))
    assert built.exit_code == 0, built.output
    data = json.loads(built.stdout)
    assert [(t["task"], t["quanta"]) for t in data["tasks"]] == [("calibrate", 8), ("visit_summary", 2),
                                                                 ("survey_summary", 1)]
    assert data["output_run"] == "demo/run1"
    assert data["dropped"] == []


def test_build_counts_dropped_quanta_per_task_and_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "prereq_tasks.py"
    module.write_text(textwrap.dedent("""
        from databutler.domain.pipeline import Input, Output, PipelineTask, PrerequisiteInput

        class Flatten(PipelineTask):
            units = ("instrument", "visit", "detector")
            raw = Input("raw", ("instrument", "visit", "detector"), "StructuredData")
            flat = PrerequisiteInput("flat", ("instrument", "detector"), "StructuredData")
            flattened = Output("flattened", ("instrument", "visit", "detector"), "StructuredData")

            def run(self, **inputs):
                return {"flattened": inputs["raw"]}
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / "repo"
    with make_demo_repository(root, visits=2, detectors=3) as butler:
        from databutler import DatasetType

        butler.registry.register_dataset_type(DatasetType("flat", ("instrument", "detector"), "StructuredData"))
        butler.put_many([({"d": d}, "flat", {"instrument": "DemoCam", "detector": d}) for d in (0, 1)],
                        run="DemoCam/calib")
    pipeline = tmp_path / "flat.yaml"
    pipeline.write_text("tasks:\n  flatten: prereq_tasks:Flatten\n")
    built = run("pipeline", "build", root, pipeline, "-i", RAW_RUN, "-i", "DemoCam/calib", "-o", "out", "-f", "json")
    assert built.exit_code == 0, built.output
    data = json.loads(built.stdout)
    assert data["tasks"] == [{"task": "flatten", "quanta": 4, "outputs_exist": 0, "dropped": 2}]
    assert len(data["dropped"]) == 1 and data["dropped"][0]["quanta"] == 2, data
    assert "flat" in data["dropped"][0]["reason"]

    table = run("pipeline", "build", root, pipeline, "-i", RAW_RUN, "-i", "DemoCam/calib", "-o", "out")
    assert table.exit_code == 0, table.output
    assert "dropped quanta" in table.stdout and "flat" in table.stdout


def test_run_on_two_processes_writes_what_a_serial_run_writes(repo: Path) -> None:
    serial = run("pipeline", "run", *plan(repo, output="demo/serial"))
    assert serial.exit_code == 0, serial.output
    parallel = run("pipeline", "run", *plan(repo, "-j", "2", output="demo/parallel"))
    assert parallel.exit_code == 0, parallel.output
    assert "merges into the registry" in parallel.stdout, "-j 2 ran in worker processes, merged back"
    assert survey(repo, "demo/parallel") == survey(repo, "demo/serial")


def test_run_on_a_local_dask_cluster(repo: Path) -> None:
    pytest.importorskip("distributed")
    ran = run("pipeline", "run", *plan(repo, "--dask", "local", "-j", "2", "-f", "json"))
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.stdout)
    assert data["ok"] is True and data["merges"] >= 1
    assert survey(repo, "demo/run1").items() >= EXPECTED_SURVEY.items()


def test_a_failed_quantum_is_listed_skips_its_downstream_and_exits_1(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_demo_repository(root, visits=VISITS, detectors=DETECTORS, broken=[(2, 1)]).close()
    ran = run("pipeline", "run", *plan(root, "-f", "json"))
    assert ran.exit_code == 1, ran.output
    data = json.loads(ran.stdout)
    counts = {t["task"]: (t["done"], t["failed"], t["skipped"]) for t in data["tasks"]}
    assert counts == {"calibrate": (11, 1, 0), "visit_summary": (2, 0, 1), "survey_summary": (0, 0, 1)}
    assert data["failures"] == [{"task": "calibrate", "data_id": {"instrument": "DemoCam", "visit": 2, "detector": 1},
                                 "error": "ValueError: raw of visit 2 detector 1 has no pixels"}]
    assert "1 quantum failed and 2 quanta skipped" in ran.stderr
    assert "--extend-run --skip-existing-in demo/run1 --clobber" in ran.stderr, "it says how to run the rest"

    table = run("pipeline", "run", *plan(root, "--extend-run", "--skip-existing-in", "demo/run1", "--clobber"))
    assert table.exit_code == 1, table.output
    assert "failed quanta" in table.stdout and "has no pixels" in table.stdout
    with Butler(root, collections=["demo/run1"]) as butler:
        assert butler.get("visit_summary", instrument="DemoCam", visit=1)["detectors"] == DETECTORS, \
            "the other visits' branches ran"


def test_a_typo_in_a_pipeline_key_names_the_valid_keys_and_plans_nothing(repo: Path, tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("taks:\n  calibrate: calibrate\n")
    result = run("pipeline", "build", repo, typo, "-i", RAW_RUN, "-o", "demo/run1")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: PipelineError: ")
    assert "unknown key 'taks'" in result.stderr and "tasks" in result.stderr
    assert "Traceback" not in result.output

    task_typo = tmp_path / "task_typo.yaml"
    task_typo.write_text("tasks:\n  calibrate:\n    clas: calibrate\n")
    result = run("pipeline", "run", repo, task_typo, "-i", RAW_RUN, "-o", "demo/run1")
    assert result.exit_code == 1
    assert "unknown key 'clas'" in result.stderr and "class" in result.stderr
    with Butler(repo) as butler:
        assert butler.registry.query_collections("demo/*") == []


def test_an_unknown_task_name_lists_the_installed_ones(repo: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("tasks:\n  calibrate: calibrat\n")
    result = run("pipeline", "build", repo, wrong, "-i", RAW_RUN, "-o", "demo/run1")
    assert result.exit_code == 1
    assert "no task 'calibrat'" in result.stderr and "calibrate" in result.stderr


def test_a_graph_from_another_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    assert run("pipeline", "build", *plan(repo, "--save", graph)).exit_code == 0
    other = tmp_path / "other"
    make_demo_repository(other, visits=VISITS, detectors=DETECTORS).close()
    result = run("pipeline", "run", other, "--graph", graph)
    assert result.exit_code == 1
    assert "error: PipelineError:" in result.stderr and "plan it again here" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    ((), "give PIPELINE.yaml (with -i and -o) or --graph FILE"),
    (("--graph", "GRAPH", "-i", RAW_RUN), "--inputs: planning options go with PIPELINE.yaml"),
    (("PIPELINE",), "needs -i/--input and -o/--output"),
    (("PIPELINE", "-i", RAW_RUN, "-o", "x", "-j", "2", "--dask", "tcp://127.0.0.1:1"), "has its own workers"),
])
def test_run_usage_mistakes_exit_2(repo: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text("{}")
    filled = [str(graph) if a == "GRAPH" else str(PIPELINE) if a == "PIPELINE" else a for a in args]
    result = run("pipeline", "run", repo, *filled)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_make_executor_chooses_by_jobs_and_dask_address() -> None:
    assert isinstance(make_executor(), SerialExecutor)
    assert isinstance(make_executor(1), SerialExecutor)
    with make_executor(2) as pool:
        assert isinstance(pool, ProcessPoolExecutorAdapter)
        assert pool.workers == 2
    for jobs in (0, -1, True):
        with pytest.raises(ConfigError, match="positive integer"):
            make_executor(jobs)
    with pytest.raises(ConfigError, match="has its own workers"):
        make_executor(4, "tcp://127.0.0.1:1")
    with pytest.raises(ConfigError, match="tcp://host:8786"):
        make_executor(None, " ")


def test_dask_without_distributed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = executors.importlib.util.find_spec
    monkeypatch.setattr(executors.importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'databutler\[dask\]'"):
        make_executor(None, "local")


def test_run_draws_a_bar_per_task_on_a_terminal_and_nothing_on_a_pipe(repo: Path) -> None:
    args = [BIN, "pipeline", "run", *map(str, plan(repo))]
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm-256color"}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, drawn.decode()
    text = drawn.decode("utf-8", "replace")
    assert "12/12" in text and "done 12" in text and "failed 0" in text and "skipped 0" in text, text
    assert "3/3" in text and "1/1" in text, text

    piped = subprocess.run([BIN, "pipeline", "run", *map(str, plan(repo, output="demo/run2"))],
                           capture_output=True, text=True, timeout=120, check=False, env=env)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == "", "no bar, no noise on a pipe"
