"""The command line reads through the Butler: one registry round trip per batch of URIs, not per row."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from databutler import Butler, DatasetType
from databutler.adapters.sql import SqlRegistry
from databutler.cli.main import cli
from databutler.domain.dataset import StoredArtifact


def test_query_datasets_show_uri_asks_for_artifacts_once_per_batch(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    with Butler.create(root, run="run1") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 100}])
        butler.registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in range(60)])
        butler.registry.register_dataset_type(DatasetType("flat", ("instrument", "detector"), "StructuredData"))
        refs = butler.put_many([({"d": d}, "flat", {"instrument": "Cam1", "detector": d}) for d in range(60)])
        expected = {str(ref.id): butler.uri(ref) for ref in refs}
    calls: list[int] = []
    real = SqlRegistry.get_artifacts

    def counting(self: SqlRegistry, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        calls.append(len(ids))
        return real(self, ids)

    monkeypatch.setattr(SqlRegistry, "get_artifacts", counting)
    result = CliRunner().invoke(cli, ["query-datasets", str(root), "flat", "-c", "run1", "--show-uri", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["id"]: row["uri"] for row in rows} == expected
    assert calls == [60], "one registry round trip for all 60 rows, not one per row"
