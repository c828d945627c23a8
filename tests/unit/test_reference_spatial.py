"""Computed spatial overlaps give the reference's answers on its own spatial test data (spatial.yaml).

The reference (lsst-daf-butler, asked in a subprocess as in ``test_reference_interchange``) imports
base.yaml and spatial.yaml and answers ``queryDataIds`` for groups that span two spatial families;
databutler imports the same regions, with no overlap typed in, and must give the same DataIds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler

PEER_SCRIPT = Path(__file__).parents[1] / "data" / "reference" / "peer_interchange.py"


def _reference_python() -> str | None:
    for candidate in (os.environ.get("DATABUTLER_REFERENCE_PYTHON"), "/work/peer-venv/bin/python"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


PEER = _reference_python()

pytestmark = pytest.mark.skipif(PEER is None, reason="the reference system (lsst-daf-butler) is not installed")

GROUPS = ("visit+patch", "visit+tract", "visit+detector+patch", "visit+detector+tract", "visit+detector+skymap+patch",
          "visit+htm7", "tract+htm7",
          "visit|visit.region OVERLAPS POINT(0.36, 1.07)",
          "visit+detector|visit_detector_region.region OVERLAPS CIRCLE(0.3, 0.8, 0.1)",
          "patch|patch.region OVERLAPS POLYGON(0.3, 1.0, 0.6, 1.0, 0.45, 1.25)")


@pytest.fixture(scope="module")
def registry_data() -> Path:
    assert PEER is not None
    done = subprocess.run([PEER, "-c", "import os, lsst.daf.butler.tests.registry_data as m; "
                           "print(os.path.dirname(m.__file__))"], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


@pytest.fixture(scope="module")
def reference_answers(tmp_path_factory: pytest.TempPathFactory, registry_data: Path) -> dict[str, Any]:
    assert PEER is not None
    root = tmp_path_factory.mktemp("peer")
    done = subprocess.run([PEER, str(PEER_SCRIPT), "spatial", str(root / "repo"), str(registry_data / "base.yaml"),
                           str(registry_data / "spatial.yaml")], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "GROUPS": ";".join(GROUPS)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("group", GROUPS)
def test_spatial_joins_give_the_references_data_ids(tmp_path: Path, registry_data: Path,
                                                    reference_answers: dict[str, Any], group: str) -> None:
    names, _, where = group.partition("|")
    units = names.split("+")
    with Butler.create(tmp_path / "ours") as butler:
        butler.import_(registry_data / "base.yaml", without_datastore=True)
        butler.import_(registry_data / "spatial.yaml", without_datastore=True)
        found = [{u: d[u] for u in butler.registry.universe.closure(units)}
                 for d in butler.registry.query_data_ids(units, where=where)]
    expected = reference_answers[group]
    assert expected, f"the reference finds no {group} overlaps: the test data is not spatial"
    assert sorted(found, key=lambda d: sorted(d.items())) == expected
