#!/usr/bin/env python
"""databutler's side of ``../shared/bench/peer_pipe_base.py``: the same three-task pipeline, the same keys.

    .venv/bin/python bench/peer_pipeline.py                    # 50 visits x 20 detectors
    .venv/bin/python bench/peer_pipeline.py --visits 10 --detectors 4 -v --root /dev/shm/x
    .venv/bin/python bench/peer_pipeline.py --graph-scale 100000   # also: build a graph of ~10^5 quanta

Workload (identical to the reference's): a fresh repository on the embedded default (SQLite +
local files); DataUnit records instrument Cam1, physical_filter Cam1-r (band r), D detectors,
day_obs 20240101, V visits, V*D visit_detector_region records; dataset type ``raw_like``
(instrument, visit, detector; StructuredData) and V*D single ``butler.put`` calls of the same
8-key payloads in RUN ``Cam1/raw``. Pipeline taskA (per visit x detector, raw_like -> calexp_like),
taskB (per visit, all calexp_like -> visit_summary_like), taskC (per instrument, all
visit_summary_like -> global_like), with the same ``run`` bodies.

Phases (seconds): setup (not compared), preflight (parse the pipeline YAML and build the quantum
graph), execute_serial (every quantum in this process, dataset types registered included),
execute_parallel (``--parallel N`` local worker processes: the whole ``databutler pipeline run
--graph FILE -j N`` command in a subprocess, Python start-up included, as the reference times
``pipetask run -j N``), and in ``extra``: execute_dask (``--dask N`` workers of a Dask LocalCluster
on 127.0.0.1; cluster start-up reported apart), graph write/read, and with ``--graph-scale Q`` the
build time and peak memory of a graph of about Q quanta (in a fresh process).

databutler records each quantum (task class, config, DataId, inputs, outputs, times, host,
status, log records) in the registry's quantum tables, in the same transaction as its outputs,
instead of writing ``<label>_metadata``/``<label>_log`` datasets per quantum and
``<label>_config``/``packages`` per run: so a run stores quanta + outputs, not 3 x quanta + 4 datasets.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

from databutler.domain.pipeline import Input, Output, PipelineTask

INSTRUMENT, PHYSICAL_FILTER, BAND, DAY_OBS = "Cam1", "Cam1-r", "r", 20240101
RAW_RUN = "Cam1/raw"
SERIAL_RUN, PARALLEL_RUN, DASK_RUN = "bench/serial/run", "bench/parallel/run", "bench/dask/run"
STORAGE_CLASS = "StructuredData"
LABELS = ("taskA", "taskB", "taskC")
VD = ("instrument", "visit", "detector")


def raw_payload(visit: int, detector: int) -> dict[str, Any]:
    """The deterministic 8-key dict stored as ``raw_like`` for one data ID (as the reference's)."""
    seed = visit * 1000 + detector
    return {"visit": visit, "detector": detector, "band": BAND, "n_sources": 1000 + seed % 977,
            "psf_fwhm": 0.5 + (seed % 113) / 100.0, "zero_point": 27.0 + (seed % 37) / 64.0,
            "sky_background": 120.25 + seed % 50, "label": f"v{visit}-d{detector}"}


def busy() -> None:
    """Spend ``PEER_PIPELINE_WORK_MS`` of CPU (default 0: the reference's trivial tasks), to show scaling."""
    work = float(os.environ.get("PEER_PIPELINE_WORK_MS", "0")) / 1000
    end = time.process_time() + work
    while time.process_time() < end:
        pass


def make_calexp(raw: dict[str, Any]) -> dict[str, Any]:
    """taskA's work: the input with one field added."""
    return {**raw, "calibrated": True}


def make_visit_summary(calexps: list[dict[str, Any]]) -> dict[str, Any]:
    """taskB's work: summarize all calexp_like of one visit."""
    visits = {c["visit"] for c in calexps}
    if len(visits) != 1:
        raise RuntimeError(f"calexps from several visits: {sorted(visits)}")
    return {"visit": visits.pop(), "n_detectors": len(calexps), "n_sources": sum(c["n_sources"] for c in calexps),
            "psf_fwhm_mean": sum(c["psf_fwhm"] for c in calexps) / len(calexps),
            "detectors": sorted(c["detector"] for c in calexps)}


def make_global(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """taskC's work: combine all visit summaries."""
    return {"n_visits": len(summaries), "n_detectors_total": sum(s["n_detectors"] for s in summaries),
            "n_sources": sum(s["n_sources"] for s in summaries), "visits": sorted(s["visit"] for s in summaries)}


def expected_global(n_visits: int, n_detectors: int) -> dict[str, Any]:
    """What global_like must equal, computed without databutler."""
    return make_global([make_visit_summary([make_calexp(raw_payload(v, d)) for d in range(n_detectors)])
                        for v in range(1, n_visits + 1)])


class BenchATask(PipelineTask):
    """Per (visit, detector): raw_like -> calexp_like."""

    units = VD
    raw = Input("raw_like", VD, STORAGE_CLASS)
    calexp = Output("calexp_like", VD, STORAGE_CLASS)

    def run(self, raw: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        """Calibrate one detector."""
        busy()
        return {"calexp": make_calexp(raw)}


class BenchBTask(PipelineTask):
    """Per visit: all calexp_like -> visit_summary_like."""

    units = ("instrument", "visit")
    calexps = Input("calexp_like", VD, STORAGE_CLASS, multiple=True)
    summary = Output("visit_summary_like", ("instrument", "visit"), STORAGE_CLASS)

    def run(self, calexps: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[override]
        """Summarize one visit."""
        return {"summary": make_visit_summary(calexps)}


class BenchCTask(PipelineTask):
    """Per instrument: all visit_summary_like -> global_like."""

    units = ("instrument",)
    summaries = Input("visit_summary_like", ("instrument", "visit"), STORAGE_CLASS, multiple=True)
    result = Output("global_like", ("instrument",), STORAGE_CLASS)

    def run(self, summaries: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[override]
        """Combine every visit."""
        return {"result": make_global(summaries)}


def pipeline_yaml() -> str:
    """The pipeline, as a user writes it."""
    mod = __name__
    return ("description: peer_pipe_base 3-task benchmark pipeline\ntasks:\n"
            + "".join(f"  {label}:\n    class: {mod}:Bench{label[-1]}Task\n" for label in LABELS))


def log(verbose: bool, message: str) -> None:
    """Progress on stderr."""
    if verbose:
        print(message, file=sys.stderr, flush=True)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or its children) in MiB."""
    return resource.getrusage(who).ru_maxrss / 1024


def insert_records(registry: Any, n_visits: int, n_detectors: int, *, described: bool = True) -> None:
    """The workload's DataUnit records and the raw_like dataset type (``described``: the reference's metadata too)."""
    from databutler import DatasetType

    visits, detectors = range(1, n_visits + 1), range(n_detectors)
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "visit_max": 10**8, "exposure_max": 10**8,
                                               "detector_max": n_detectors}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": PHYSICAL_FILTER, "band": BAND}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d, **(
        {"full_name": f"R00_S{d:02d}", "purpose": "SCIENCE"} if described else {})} for d in detectors])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": DAY_OBS}])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": PHYSICAL_FILTER,
                                          "day_obs": DAY_OBS, **({"name": f"visit{v}", "seq_num": v,
                                                                  "exposure_time": 30.0} if described else {})}
                                         for v in visits])
    registry.insert_data_units("visit_detector_region", [{"instrument": INSTRUMENT, "visit": v, "detector": d}
                                                         for v in visits for d in detectors])
    registry.register_dataset_type(DatasetType("raw_like", VD, STORAGE_CLASS))


def make_repo(root: str, n_visits: int, n_detectors: int) -> Any:
    """The setup phase: repository, DataUnit records, raw_like puts."""
    from databutler import Butler

    butler = Butler.create(root, run=RAW_RUN)
    insert_records(butler.registry, n_visits, n_detectors)
    for v in range(1, n_visits + 1):
        for d in range(n_detectors):
            butler.put(raw_payload(v, d), "raw_like", instrument=INSTRUMENT, visit=v, detector=d)
    return butler


def verify_outputs(butler: Any, run: str, n_visits: int, n_detectors: int) -> None:
    """Untimed check that the pipeline produced the right datasets."""
    want = {"calexp_like": n_visits * n_detectors, "visit_summary_like": n_visits, "global_like": 1}
    for dataset_type, n in want.items():
        got = len(list(butler.query_datasets(dataset_type, collections=[run])))
        if got != n:
            raise AssertionError(f"{dataset_type} in {run}: {got} datasets, expected {n}")
    if butler.get("global_like", instrument=INSTRUMENT, collections=[run]) != expected_global(n_visits, n_detectors):
        raise AssertionError(f"global_like in {run} is wrong")
    if butler.get("calexp_like", instrument=INSTRUMENT, visit=1, detector=0,
                  collections=[run]) != make_calexp(raw_payload(1, 0)):
        raise AssertionError(f"calexp_like in {run} is wrong")


def build(butler: Any, run: str) -> Any:
    """Parse the pipeline YAML and plan it (the preflight phase)."""
    import yaml

    from databutler.service.pipeline import build_quantum_graph, pipeline_from_mapping

    pipeline = pipeline_from_mapping(yaml.safe_load(pipeline_yaml()))
    return build_quantum_graph(butler, pipeline, [RAW_RUN], run)


def graph_scale(quanta: int, verbose: bool) -> dict[str, Any]:
    """Build a graph of about ``quanta`` quanta (visits x 100 detectors); time and peak memory."""
    from databutler.domain.pipeline import Pipeline, TaskNode
    from databutler.service.pipeline import build_quantum_graph

    detectors = 100
    visits = max(1, quanta // (detectors + 1))
    root = tempfile.mkdtemp(prefix="peer_pipeline_scale_")
    try:
        butler = _bulk_repo(root, visits, detectors)
        pipeline = Pipeline([TaskNode("taskA", BenchATask), TaskNode("taskB", BenchBTask),
                             TaskNode("taskC", BenchCTask)])
        t0 = time.perf_counter()
        graph = build_quantum_graph(butler, pipeline, [RAW_RUN], SERIAL_RUN)
        seconds = time.perf_counter() - t0
        log(verbose, f"[graph_scale] {len(graph)} quanta in {seconds:.2f} s")
        return {"quanta": len(graph), "visits": visits, "detectors": detectors, "build_s": round(seconds, 3),
                "quanta_per_s": round(len(graph) / seconds), "peak_rss_mib": round(peak_rss_mib(), 1)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _bulk_repo(root: str, n_visits: int, n_detectors: int) -> Any:
    """A repository with raw_like datasets registered in bulk (no files: preflight reads only the registry)."""
    from databutler import Butler

    butler = Butler.create(root, run=RAW_RUN)
    insert_records(butler.registry, n_visits, n_detectors, described=False)
    butler.registry.insert_datasets("raw_like", RAW_RUN, [{"instrument": INSTRUMENT, "visit": v, "detector": d}
                                                          for v in range(1, n_visits + 1)
                                                          for d in range(n_detectors)])
    return butler


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The reference's options, plus --dask and --graph-scale."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--visits", type=int, default=50)
    p.add_argument("--detectors", type=int, default=20)
    p.add_argument("--root", default=None, help="work dir (absent or empty); default: fresh temp dir")
    p.add_argument("--out", default=None, help="also write the JSON result to this file")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--parallel", type=int, default=2, help="worker processes for execute_parallel; 0 skips it")
    p.add_argument("--dask", type=int, default=2, help="Dask LocalCluster workers for execute_dask; 0 skips it")
    p.add_argument("--work-ms", type=float, default=0.0,
                   help="CPU milliseconds each taskA quantum spends (0: the reference's trivial work)")
    p.add_argument("--graph-scale", type=int, default=0, help="also build a graph of about this many quanta")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the phases and print one JSON object."""
    args = parse_args(argv)
    v, d, verbose = args.visits, args.detectors, args.verbose
    from databutler import Butler
    from databutler.service.pipeline import load_graph, run_graph, save_graph

    workdir = tempfile.mkdtemp(prefix="peer_pipeline_") if args.root is None else os.path.abspath(args.root)
    if args.root is not None:
        if os.path.exists(workdir) and os.listdir(workdir):
            sys.exit(f"--root {workdir} exists and is not empty")
        os.makedirs(workdir, exist_ok=True)
    root = os.path.join(workdir, "repo")
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ["PEER_PIPELINE_WORK_MS"] = str(args.work_ms)
    os.environ["PYTHONPATH"] = here + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    phases: dict[str, float | None] = {}
    extra: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        make_repo(root, v, d).close()
        phases["setup"] = time.perf_counter() - t0
        log(verbose, f"[setup] {phases['setup']:.3f} s")
        butler = Butler(root, collections=[RAW_RUN])
        t0 = time.perf_counter()
        graph = build(butler, SERIAL_RUN)
        phases["preflight"] = time.perf_counter() - t0
        counts = graph.counts()
        want = {"taskA": v * d, "taskB": v, "taskC": 1}
        if counts != want:
            raise AssertionError(f"unexpected quanta {counts}, expected {want}")
        quanta = {**counts, "total": len(graph)}
        log(verbose, f"[preflight] {phases['preflight']:.3f} s {quanta}")
        t0 = time.perf_counter()
        report = run_graph(butler, graph)
        phases["execute_serial"] = time.perf_counter() - t0
        log(verbose, f"[execute_serial] {phases['execute_serial']:.3f} s")
        if not report.ok:
            raise AssertionError(f"serial run failed: {report.failures[:3]}")
        verify_outputs(butler, SERIAL_RUN, v, d)
        registry_bytes = sum(os.path.getsize(p) for p in _sqlite_files(root))
        peak_after_serial = peak_rss_mib()

        graph_path = os.path.join(workdir, "parallel.json.gz")
        t0 = time.perf_counter()
        save_graph(build(butler, PARALLEL_RUN), graph_path)
        extra["graph_write_s"] = round(time.perf_counter() - t0, 4)
        extra["graph_bytes"] = os.path.getsize(graph_path)
        t0 = time.perf_counter()
        load_graph(graph_path, butler.registry.universe)
        extra["graph_read_s"] = round(time.perf_counter() - t0, 4)
        phases["execute_parallel"] = None
        if args.parallel > 0:
            command = [os.path.join(os.path.dirname(sys.executable), "databutler"), "pipeline", "run", root,
                       "--graph", graph_path, "-j", str(args.parallel)]
            extra["parallel_command"] = " ".join(command)
            t0 = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - t0
            extra["parallel_returncode"] = done.returncode
            if done.returncode == 0:
                verify_outputs(butler, PARALLEL_RUN, v, d)
                phases["execute_parallel"] = seconds
            else:
                extra["parallel_error"] = (done.stderr or done.stdout)[-2000:]
            log(verbose, f"[execute_parallel] {seconds:.3f} s (rc {done.returncode})")
        if args.dask > 0:
            extra["dask"] = _dask_phase(butler, args.dask, v, d, verbose)
        if args.graph_scale:
            extra["graph_scale"] = json.loads(subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--graph-scale-only", str(args.graph_scale)],
                capture_output=True, text=True, check=True).stdout)
        butler.close()
    finally:
        if args.root is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = quanta["total"]
    result = {
        "system": f"databutler {importlib.metadata.version('databutler')}",
        "visits": v, "detectors": d, "work_ms": args.work_ms, "quanta": quanta,
        "phases_s": {k: (round(s, 4) if s is not None else None) for k, s in phases.items()},
        "rates": {"preflight_quanta_per_s": round(total / phases["preflight"], 1),
                  "execute_quanta_per_s": round(total / phases["execute_serial"], 1),
                  "execute_parallel_quanta_per_s": (round(total / phases["execute_parallel"], 1)
                                                    if phases["execute_parallel"] else None)},
        "peak_rss_mib": round(peak_after_serial, 1),
        "registry_bytes": registry_bytes,
        "extra": extra,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as stream:
            stream.write(text + "\n")
    return result


def _dask_phase(butler: Any, workers: int, v: int, d: int, verbose: bool) -> dict[str, Any]:
    """Run a fresh graph on a Dask LocalCluster of ``workers`` processes."""
    from databutler.adapters.executors.dask import DaskExecutor
    from databutler.service.pipeline import run_graph

    graph = build(butler, DASK_RUN)
    t0 = time.perf_counter()
    executor = DaskExecutor(workers=workers)
    started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        report = run_graph(butler, graph, executor=executor)
        seconds = time.perf_counter() - t0
    finally:
        executor.close()
    if not report.ok:
        raise AssertionError(f"dask run failed: {report.failures[:3]}")
    verify_outputs(butler, DASK_RUN, v, d)
    log(verbose, f"[execute_dask] {seconds:.3f} s on {workers} workers (+{started:.1f} s cluster start)")
    return {"workers": workers, "execute_s": round(seconds, 4), "cluster_start_s": round(started, 3),
            "quanta_per_s": round(len(graph) / seconds, 1), "merges": report.merges}


def _sqlite_files(root: str) -> list[str]:
    base = os.path.join(root, "registry.sqlite3")
    return [p for p in (base, base + "-wal", base + "-journal") if os.path.exists(p)]


if __name__ == "__main__":
    # Re-import under the file's name, so the task classes are importable by worker processes.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    module = importlib.import_module("peer_pipeline")
    if len(sys.argv) == 3 and sys.argv[1] == "--graph-scale-only":
        print(json.dumps(module.graph_scale(int(sys.argv[2]), verbose=False)))
    else:
        module.main()
