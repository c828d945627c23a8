"""Credentials for database servers: masking in messages, private credentials files, no secrets in butler.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from databutler import Butler
from databutler.adapters.sql.credentials import mask_secrets, read_credentials_file
from databutler.domain.errors import ConfigError
from databutler.testing.postgres import missing_server


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql+psycopg://alice:s3cr3t@db:5432/x", "postgresql+psycopg://alice:***@db:5432/x"),
    ("cannot use 'postgresql://u:p%40ss@h/d' now", "cannot use 'postgresql://u:***@h/d' now"),
    ("host=db user=alice password=s3cr3t dbname=x", "host=db user=alice password=*** dbname=x"),
    ("password='two words' port=5432", "password=*** port=5432"),
    ("sqlite:////tmp/registry.sqlite3", "sqlite:////tmp/registry.sqlite3"),
])
def test_passwords_in_urls_and_conninfo_are_masked(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown


def test_a_credentials_file_must_exist_be_a_file_and_hold_a_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_credentials_file(str(tmp_path / "absent.yaml"))
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_credentials_file(str(directory))
    for content, message in [("user: alice\n", "'password'"), ("password: x\ntoken: y\n", "unknown keys"),
                             ("password: [unclosed\n", "must be YAML")]:
        path = tmp_path / "credentials.yaml"
        path.write_text(content)
        path.chmod(0o600)
        with pytest.raises(ConfigError, match=message) as caught:
            read_credentials_file(str(path))
        assert "unclosed" not in str(caught.value)  # the file's content is never echoed
    path.write_text("password: s3cr3t\nusername: alice\n")
    path.chmod(0o400)
    assert read_credentials_file(str(path)) == {"password": "s3cr3t", "username": "alice"}


def test_a_literal_password_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    config = {"registry": {"adapter": "sql", "url": "postgresql://alice:s3cr3t@db.invalid/x"}}
    with pytest.raises(ConfigError, match="literal password") as caught:
        Butler.create(tmp_path / "repo", config=config)
    assert "s3cr3t" not in str(caught.value)
    assert not (tmp_path / "repo").exists()


def test_a_missing_postgres_server_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must test PostgreSQL"):
        missing_server("no server")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no server"):
        missing_server("no server")
