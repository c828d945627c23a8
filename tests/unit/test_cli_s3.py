"""The CLI end to end on a Butler configured purely from butler.yaml: SQLite + cache over S3 (moto server)."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from databutler.cli.main import cli
from databutler.testing.s3 import S3Fixtures, s3_filesystem


class TestDemoOnCachedS3(S3Fixtures):
    def test_demo_with_a_cache_over_s3_config_runs_end_to_end(self, s3_bucket: str, tmp_path: Path) -> None:
        config = tmp_path / "s3-cached.yaml"
        config.write_text(yaml.safe_dump({
            "registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3"},
            "datastore": {"adapter": "cache", "directory": "{root}/cache", "max_bytes": 10_000_000,
                          "child": {"adapter": "objectstore", "root": f"{s3_bucket}/demo",
                                    "storage_options": {"endpoint_url": "${AWS_ENDPOINT_URL}"}}},
        }))
        repo = tmp_path / "repo"
        result = CliRunner().invoke(cli, ["demo", str(repo), "--config", str(config)])
        assert result.exit_code == 0, result.output
        assert f"stored at {s3_bucket}/demo/demo/run1/summary/" in result.output
        assert "${AWS_ENDPOINT_URL}" in (repo / "butler.yaml").read_text()  # the placeholder, not the value
        assert len(s3_filesystem().find(f"{s3_bucket.removeprefix('s3://')}/demo")) == 12
        assert any((repo / "cache" / "objects").rglob("*")), "the demo's get should have filled the cache"
        check = CliRunner().invoke(cli, ["config-validate", str(repo)])
        assert check.exit_code == 0 and "CachingDatastore" in check.output, check.output
