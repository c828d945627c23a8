"""Pipelines over a repository: preflight (the quantum graph), execution, and the graph file."""

from .execute import ExecutionReport, check_graph, run_graph
from .graph_file import graph_from_dict, graph_to_dict, load_graph, save_graph
from .loading import import_task, load_pipeline, pipeline_from_mapping
from .preflight import build_quantum_graph
from .quantum_run import QuantumOutcome, run_quantum

__all__ = [
    "ExecutionReport",
    "QuantumOutcome",
    "build_quantum_graph",
    "check_graph",
    "graph_from_dict",
    "graph_to_dict",
    "import_task",
    "load_graph",
    "load_pipeline",
    "pipeline_from_mapping",
    "run_graph",
    "run_quantum",
    "save_graph",
]
