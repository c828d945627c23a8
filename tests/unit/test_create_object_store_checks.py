"""`create` with an object-store datastore checks the bucket and credentials at once (moto servers)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from databutler import Butler
from databutler.cli.main import cli
from databutler.domain.errors import DatastoreError
from databutler.testing.s3 import S3Fixtures, s3_filesystem


def s3_config(root: str, **storage_options: str) -> dict[str, Any]:
    """SQLite registry + objectstore datastore at ``root`` (endpoint from the environment)."""
    return {"datastore": {"adapter": "objectstore", "root": root,
                          "storage_options": {"endpoint_url": "${AWS_ENDPOINT_URL}", **storage_options}}}


def assert_nothing_created(repo: Path) -> None:
    """A refused create leaves no configuration and no registry behind, so it can simply be run again."""
    assert not (repo / "butler.yaml").exists()
    assert not (repo / "registry.sqlite3").exists()


class TestCreateChecksTheBucket(S3Fixtures):
    def test_create_with_a_missing_bucket_is_refused_at_once(self, s3_server: Any, tmp_path: Path) -> None:
        bucket = f"missing-{uuid.uuid4().hex[:12]}"
        with pytest.raises(DatastoreError, match=rf"bucket '{bucket}' does not exist.*create the bucket first"):
            Butler.create(tmp_path / "repo", config=s3_config(f"s3://{bucket}/data"))
        assert_nothing_created(tmp_path / "repo")
        config = tmp_path / "s3.yaml"
        config.write_text(yaml.safe_dump(s3_config(f"s3://{bucket}/data")))
        result = CliRunner().invoke(cli, ["create", str(tmp_path / "cli"), "--config", str(config)])
        assert result.exit_code == 1
        assert f"bucket '{bucket}' does not exist" in result.output and "AWS_ACCESS_KEY_ID" in result.output
        assert_nothing_created(tmp_path / "cli")

    def test_create_with_an_existing_bucket_succeeds_and_leaves_no_probe(self, s3_bucket: str,
                                                                          tmp_path: Path) -> None:
        with Butler.create(tmp_path / "repo", config=s3_config(f"{s3_bucket}/data")) as butler:
            assert butler.datastore.root == f"{s3_bucket}/data/"
        assert s3_filesystem().find(s3_bucket.removeprefix("s3://")) == []


@pytest.fixture
def authenticating_server() -> Iterator[str]:
    """A moto S3 server in a child process that checks credentials (it knows none): its endpoint URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        for _ in range(400):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def test_create_with_refused_credentials_is_refused_at_once_without_showing_them(
        authenticating_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_S3_ENDPOINT", authenticating_server)
    monkeypatch.setenv("TEST_S3_KEY", "wrong-access-key")
    monkeypatch.setenv("TEST_S3_SECRET", "wrong-secret-0123456789")
    config = {"datastore": {"adapter": "objectstore", "root": "s3://bucket/data",
                            "storage_options": {"endpoint_url": "${TEST_S3_ENDPOINT}", "key": "${TEST_S3_KEY}",
                                                "secret": "${TEST_S3_SECRET}"}}}
    with pytest.raises(DatastoreError, match=r"refused the credentials.*AWS_SECRET_ACCESS_KEY") as info:
        Butler.create(tmp_path / "repo", config=config)
    assert "wrong-secret-0123456789" not in str(info.value)
    assert_nothing_created(tmp_path / "repo")


def test_create_without_any_credentials_says_where_they_come_from(
        authenticating_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("TEST_S3_ENDPOINT", authenticating_server)
    config = {"datastore": {"adapter": "objectstore", "root": "s3://bucket/data",
                            "storage_options": {"endpoint_url": "${TEST_S3_ENDPOINT}"}}}
    with pytest.raises(DatastoreError, match=r"no credentials were found; .*AWS_ACCESS_KEY_ID"):
        Butler.create(tmp_path / "repo", config=config)
    assert_nothing_created(tmp_path / "repo")
