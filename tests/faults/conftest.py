"""The fault suite: killed writers, injected faults and hostile input, with the figures reported at the end.

Every test here is marked ``slow``. Sizes come from the environment, so CI runs a bounded suite
and a workstation can run a bigger one:

- ``DATABUTLER_FAULTS_ROUNDS``: kill rounds per registry backend (default 6);
- ``DATABUTLER_FAULTS_WRITERS``: writer processes per round (default 8);
- ``DATABUTLER_FAULTS_EXAMPLES``: hypothesis examples per input kind (default 10000);
- ``DATABUTLER_FAULTS_SEED``: seed of the kill timing and of hypothesis (default 0);
- ``DATABUTLER_FAULTS_REPORT``: a path where the figures are also written as JSON.

The figures (kills, faults injected, inputs generated, data lost, non-domain exceptions, orphans
left after recovery) are printed in pytest's terminal summary.
"""

from __future__ import annotations

import collections
import json
import os

import pytest


def setting(name: str, default: int) -> int:
    """The integer environment setting ``DATABUTLER_FAULTS_<name>``, or ``default``."""
    return int(os.environ.get(f"DATABUTLER_FAULTS_{name}", default))


ROUNDS = setting("ROUNDS", 6)
WRITERS = setting("WRITERS", 8)
EXAMPLES = setting("EXAMPLES", 10_000)
SEED = setting("SEED", 0)

FIGURES: collections.Counter[str] = collections.Counter()
"""What the suite did and found, summed over its tests (reported at the end)."""
REPORTED = ("kills", "faults_injected", "inputs_generated", "acknowledged_writes", "data_lost",
            "non_domain_exceptions", "orphans_found_after_kills", "orphans_left_after_recovery",
            "orphans_left_by_failed_puts")


@pytest.fixture
def figures() -> collections.Counter[str]:
    """The suite's figures, for a test to add to."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures (and write them to DATABUTLER_FAULTS_REPORT if set)."""
    if not FIGURES:
        return
    figures = {key: FIGURES.get(key, 0) for key in REPORTED} | dict(FIGURES)
    terminalreporter.section("databutler fault suite figures")
    for key, value in figures.items():
        terminalreporter.write_line(f"{key:>30}: {value}")
    path = os.environ.get("DATABUTLER_FAULTS_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(figures, stream, indent=2, sort_keys=True)
