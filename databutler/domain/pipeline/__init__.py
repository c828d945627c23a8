"""Pipelines of tasks, and the quantum graphs planned from them (pure: no I/O)."""

from .connections import Connection, ConnectionKind, Input, Output, PrerequisiteInput
from .pipeline import Pipeline, TaskNode, class_path
from .quantum_graph import GRAPH_FORMAT, GRAPH_VERSION, DroppedQuantum, PlannedQuantum, QuantumGraph
from .task import NoConfig, PipelineTask, config_values

__all__ = [
    "GRAPH_FORMAT",
    "GRAPH_VERSION",
    "Connection",
    "ConnectionKind",
    "DroppedQuantum",
    "Input",
    "NoConfig",
    "Output",
    "Pipeline",
    "PipelineTask",
    "PlannedQuantum",
    "PrerequisiteInput",
    "QuantumGraph",
    "TaskNode",
    "class_path",
    "config_values",
]
