"""Pipeline commands: plan a pipeline over a repository (build) and run it here, on a process pool or on Dask."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from .. import Butler
from ..config.executors import LOCAL_DASK, make_executor
from ..domain.pipeline import QuantumGraph
from ..service.pipeline import ExecutionReport, build_quantum_graph, load_graph, load_pipeline, run_graph, save_graph
from .common import EXIT_ERROR, EXIT_NO_RESULTS, handle_errors, open_butler, parse_binds, parse_pairs
from .output import emit, plain
from .progress import task_progress

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json")
OUTCOMES = ("done", "existing", "failed", "skipped")
SHOWN_FAILURES = 20
"""Failed quanta listed one by one; the rest are counted."""
PLAN_OPTIONS = ("inputs", "output", "where", "binds", "data_id", "skip_existing_in", "clobber", "extend_run")
"""Options that plan a graph: they go with PIPELINE.yaml, not with --graph."""


def plan_options(func: F) -> F:
    """The options of preflight: collections, the where expression, resuming, and where to save the graph."""
    options = [
        click.option("--input", "-i", "inputs", multiple=True, metavar="COLLECTION",
                     help="A collection the inputs are searched in (repeatable, searched in order)."),
        click.option("--output", "-o", "output", metavar="RUN", help="The RUN collection the outputs go into."),
        click.option("--where", "-w", default="",
                     help="A where expression limiting the quanta, e.g. \"visit IN (1..4) AND detector != 3\"."),
        click.option("--bind", "-b", "binds", multiple=True, metavar="NAME=VALUE",
                     help="Value of :NAME in --where (repeatable; a|b|c is a list)."),
        click.option("--data-id", "-d", "data_id", multiple=True, metavar="UNIT=VALUE[,...]",
                     help="Constrain DataUnit values, e.g. instrument=Cam1."),
        click.option("--skip-existing-in", "skip_existing_in", multiple=True, metavar="COLLECTION",
                     help="Leave out quanta whose outputs all exist in this collection (resume; repeatable)."),
        click.option("--clobber", is_flag=True,
                     help="Remove the outputs a failed earlier attempt left in the output run, then run again."),
        click.option("--extend-run", is_flag=True, help="Write into an output run that exists already."),
        click.option("--save", "save", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Save the quantum graph (JSON; gzip-compressed when FILE ends in .gz)."),
        click.option("--format", "-f", "output_format", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="table for people; json (one object) for scripts."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group("pipeline")
def pipeline() -> None:
    """Plan pipelines over a repository (quantum graphs) and run them.

    Example: databutler pipeline build ./repo pipeline.yaml -i Cam1/raw -o u/alice/run1 --save graph.json.gz
    """


@pipeline.command("build")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("pipeline_file", metavar="PIPELINE.yaml", type=click.Path(exists=True, dir_okay=False))
@plan_options
@handle_errors
def build(*, repo: str, pipeline_file: str, save: str | None, output_format: str, **plan: Any) -> None:
    """Plan every quantum of PIPELINE.yaml over REPO: print the quanta per task and why some were dropped.

    Nothing is written to the repository; --save keeps the graph in a file that `pipeline run
    --graph` runs, here or on another machine sharing the repository. Exits 3 when nothing is
    planned.

    Example: databutler pipeline build ./repo pipeline.yaml -i DemoCam/raw -i DemoCam/calib -o demo/run1
    -d instrument=DemoCam --where "visit IN (1..2)" --save graph.json.gz
    """
    _require_plan(plan)
    with open_butler(repo) as butler:
        graph = _plan(butler, pipeline_file, plan)
    if save:
        save_graph(graph, save)
    _print_plan(graph, save, output_format)
    if not len(graph) and not sum(graph.skipped.values()):
        sys.exit(EXIT_NO_RESULTS)


@pipeline.command("run")
@click.argument("repo", type=click.Path(exists=True))
@click.argument("pipeline_file", metavar="[PIPELINE.yaml]", required=False,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--graph", "-g", "graph_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Run a graph saved by `pipeline build --save` instead of planning PIPELINE.yaml.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Run quanta in N local processes (1: in this process) or, with --dask local, on N Dask workers.")
@click.option("--dask", "dask", metavar="ADDRESS",
              help=f"Run quanta on the Dask scheduler at ADDRESS (tcp://host:8786), or '{LOCAL_DASK}' for a "
                   "cluster of -j N workers (2 by default) on 127.0.0.1. Needs databutler[dask].")
@plan_options
@handle_errors
def run(*, repo: str, pipeline_file: str | None, graph_file: str | None, jobs: int | None, dask: str | None,
        save: str | None, output_format: str, **plan: Any) -> None:
    """Run PIPELINE.yaml (planned now, like `pipeline build`) or a saved --graph over REPO.

    Quanta that succeeded before (same graph) are not run again; a failed quantum skips the quanta
    that need its outputs and nothing else. Draws one progress bar per task on a terminal, then
    prints the quanta per task and the failures. Exits 1 when a quantum failed or was skipped.

    Example: databutler pipeline run ./repo --graph graph.json.gz -j 4;
    databutler pipeline run ./repo pipeline.yaml -i DemoCam/raw -i DemoCam/calib -o demo/run2 --dask local
    """
    if (pipeline_file is None) == (graph_file is None):
        raise click.UsageError("give PIPELINE.yaml (with -i and -o) or --graph FILE, not both" if pipeline_file
                               else "give PIPELINE.yaml (with -i and -o) or --graph FILE")
    if graph_file is not None:
        given = [name for name in PLAN_OPTIONS if plan[name]]
        if given or save:
            names = ", ".join("--" + name.replace("_", "-") for name in given + (["save"] if save else []))
            raise click.UsageError(f"{names}: planning options go with PIPELINE.yaml; a --graph is planned already")
    else:
        _require_plan(plan)
    if jobs is not None and dask is not None and dask.strip() != LOCAL_DASK:
        raise click.UsageError(f"-j sets the size of a local cluster (--dask {LOCAL_DASK}); the cluster at "
                               f"{dask!r} has its own workers")
    with open_butler(repo, writeable=True) as butler:
        if graph_file is not None:
            graph = load_graph(graph_file, butler.registry.universe)
        else:
            assert pipeline_file is not None
            graph = _plan(butler, pipeline_file, plan)
            if save:
                save_graph(graph, save)
        if not len(graph):
            _print_plan(graph, save, output_format)
            click.echo("nothing to run", err=True)
            sys.exit(EXIT_NO_RESULTS if not sum(graph.skipped.values()) else 0)
        with make_executor(jobs, dask) as executor, task_progress(graph.counts()) as listener:
            report = run_graph(butler, graph, executor=executor, listener=listener)
    _print_report(graph, report, output_format)
    if not report.ok:
        run_name = shlex.quote(graph.output_run)
        again = (f"databutler pipeline run {shlex.quote(repo)} --graph {shlex.quote(graph_file or save or '')}"
                 if graph_file or save else
                 f"databutler pipeline run {shlex.quote(repo)} {shlex.quote(pipeline_file or '')} -i ... -o {run_name} "
                 f"--extend-run --skip-existing-in {run_name} --clobber")
        failed = sum(c["failed"] for c in report.counts.values())
        skipped = sum(c["skipped"] for c in report.counts.values())
        click.secho(f"error: {_quanta(failed)} failed and {_quanta(skipped)} skipped (downstream of a failure) in "
                    f"run {graph.output_run!r}; fix the cause and run again with `{again}`: only the quanta "
                    "that did not succeed run", fg="red", err=True)
        sys.exit(EXIT_ERROR)


def _require_plan(plan: Mapping[str, Any]) -> None:
    missing = [flag for flag, name in (("-i/--input", "inputs"), ("-o/--output", "output")) if not plan[name]]
    if missing:
        raise click.UsageError(f"planning a pipeline needs {' and '.join(missing)}: the collections its inputs are "
                               "in and the RUN its outputs go into")


def _plan(butler: Butler, pipeline_file: str, plan: Mapping[str, Any]) -> QuantumGraph:
    """Read the pipeline and run preflight with the command's options."""
    return build_quantum_graph(
        butler, load_pipeline(pipeline_file), list(plan["inputs"]), plan["output"], where=plan["where"],
        bind=parse_binds(plan["binds"]), data_id=parse_pairs(plan["data_id"], "--data-id"),
        skip_existing_in=list(plan["skip_existing_in"]), clobber=plan["clobber"], extend_run=plan["extend_run"])


def _quanta(count: int) -> str:
    return f"{count} quantum" if count == 1 else f"{count} quanta"


def _plan_rows(graph: QuantumGraph) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows per task (planned, left out as done, dropped) and per (task, reason) of the dropped quanta."""
    dropped = graph.dropped_counts()
    tasks = [{"task": label, "quanta": count, "outputs_exist": graph.skipped.get(label, 0),
              "dropped": sum(dropped.get(label, {}).values())} for label, count in graph.counts().items()]
    reasons = [{"task": label, "reason": reason, "quanta": count}
               for label, by_reason in dropped.items() for reason, count in sorted(by_reason.items())]
    return tasks, reasons


def _print_plan(graph: QuantumGraph, save: str | None, output_format: str) -> None:
    tasks, reasons = _plan_rows(graph)
    if output_format == "json":
        click.echo(json.dumps({"output_run": graph.output_run, "input_collections": list(graph.input_collections),
                               "quanta": len(graph), "tasks": tasks, "dropped": reasons, "graph": save},
                              indent=2, default=str))
        return
    emit(tasks, ["task", "quanta", "outputs_exist", "dropped"], "table", exit_when_empty=False,
         title=f"quantum graph for run {graph.output_run!r}")
    if reasons:
        emit(reasons, ["task", "reason", "quanta"], "table", exit_when_empty=False, title="dropped quanta")
    inputs = ", ".join(graph.input_collections)
    click.echo(f"planned {_quanta(len(graph))} of {len(tasks)} tasks from {inputs} into run {graph.output_run!r}"
               + (f"; saved to {save}" if save else ""))


def _print_report(graph: QuantumGraph, report: ExecutionReport, output_format: str) -> None:
    planned = graph.counts()
    rows = [{"task": label, "quanta": planned.get(label, 0), **counts} for label, counts in report.counts.items()]
    failures = [{"task": label, "data_id": plain(data_id), "error": error}
                for label, data_id, error in report.failures]
    if output_format == "json":
        click.echo(json.dumps({"output_run": graph.output_run, "ok": report.ok, "seconds": report.seconds,
                               "merges": report.merges, "tasks": rows, "failures": failures}, indent=2, default=str))
        return
    emit(rows, ["task", "quanta", *OUTCOMES], "table", exit_when_empty=False, title=f"run {graph.output_run!r}")
    if failures:
        shown = [{**f, "data_id": _data_id_text(f["data_id"])} for f in failures[:SHOWN_FAILURES]]
        emit(shown, ["task", "data_id", "error"], "table", exit_when_empty=False, title="failed quanta")
        if len(failures) > SHOWN_FAILURES:
            click.echo(f"... and {len(failures) - SHOWN_FAILURES} more failed quanta (--format json lists all)")
    ran = sum(c["done"] + c["failed"] for c in report.counts.values())
    click.echo(f"ran {_quanta(ran)} in {report.seconds:.1f} s into run {graph.output_run!r}"
               + (f" ({report.merges} merges into the registry)" if report.merges else ""))


def _data_id_text(data_id: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in data_id.items())


COMMANDS = (pipeline,)
