"""A password with reserved URL characters, from the environment, opens the registry and is never shown.

The password ``p@ss:w/rd#1?x%41`` has every character that means something in a URL. It is set
for a real PostgreSQL role; the repository's butler.yaml names it as ``${VARIABLE}``. It must be
usable as it is (the variable holds the password, not a URL-encoded form of it), and no error
message, repr, exception chain, log record or `databutler config-dump` output may show it, its
URL-encoded form, or any 4-character piece of it.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from databutler import Butler, DatasetType
from databutler.adapters.sql.credentials import mask_secrets, remember_password
from databutler.cli.main import cli
from databutler.config.repo_config import interpolate, redact
from databutler.domain.errors import ConfigError, DataButlerError
from databutler.testing.postgres import PostgresRole, PostgresServer

SECRET = "p@ss:w/rd#1?x%41"
VARIABLE = "DATABUTLER_TEST_RESERVED_PASSWORD"
PIECES = {SECRET[i:i + 4] for i in range(len(SECRET) - 3)} | {urllib.parse.quote(SECRET, safe="")}


def leaked(text: str) -> list[str]:
    """The pieces of the secret (4 characters or more, or its URL-encoded form) that ``text`` shows."""
    return sorted(piece for piece in PIECES if piece in text)


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it was raised from or while handling."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, current.__context__])


def shown_by(error: BaseException) -> str:
    """Everything an error shows: message, repr and arguments of it and of its whole chain."""
    return "\n".join(f"{e!s}\n{e!r}\n{e.args!r}" for e in chain(error))


@pytest.fixture
def role(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PostgresRole, str]]:
    """A login role whose password is SECRET (also in the environment as VARIABLE), owning a schema of its own."""
    monkeypatch.setenv(VARIABLE, SECRET)
    name = f"reserved_{uuid.uuid4().hex[:12]}"
    quoted = SECRET.replace("'", "''").replace("%", "%%")  # exec_driver_sql: % starts a placeholder
    schema = f"s_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{quoted}'",
                            f'CREATE SCHEMA "{schema}" AUTHORIZATION "{name}"')
    yield PostgresRole(name, SECRET), schema
    postgres_server.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'DROP ROLE IF EXISTS "{name}"')


def config(server: PostgresServer, role: PostgresRole, schema: str, *, port: int | None = None,
           database: str | None = None) -> dict[str, Any]:
    """butler.yaml's sections for a registry that logs in as ``role`` with the password from VARIABLE."""
    url = (f"postgresql://{role.name}:${{{VARIABLE}}}@{server.host}:{port or server.port}/"
           f"{database or server.database}")
    return {"registry": {"adapter": "sql", "url": url, "namespace": schema}}


@pytest.fixture
def quiet_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of every logger, DEBUG and up, captured for inspection."""
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_password_from_the_environment_opens_the_registry_as_it_is(
        tmp_path: Path, postgres_server: PostgresServer, role: tuple[PostgresRole, str],
        monkeypatch: pytest.MonkeyPatch, quiet_logs: pytest.LogCaptureFixture) -> None:
    login, schema = role
    monkeypatch.setenv(VARIABLE, SECRET)
    root = tmp_path / "repo"
    with Butler.create(root, config=config(postgres_server, login, schema), run="run1") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
        butler.registry.register_dataset_type(DatasetType("summary", ("instrument",), "StructuredData"))
        butler.put({"ok": True}, "summary", instrument="Cam1")
        assert leaked(repr(butler)) == leaked(repr(butler.registry)) == []
    assert SECRET not in (root / "butler.yaml").read_text()
    with Butler(root, collections="run1") as again:  # reopened with the password from the environment
        assert again.get("summary", instrument="Cam1") == {"ok": True}
    dumped = CliRunner().invoke(cli, ["config-dump", str(root)])
    assert dumped.exit_code == 0, dumped.output
    assert leaked(dumped.output) == []
    assert leaked(quiet_logs.text) == []


@pytest.mark.parametrize("failure", ["wrong password", "no such database", "nobody listening", "bad port"])
def test_no_error_log_or_chain_shows_the_password(
        tmp_path: Path, postgres_server: PostgresServer, role: tuple[PostgresRole, str],
        quiet_logs: pytest.LogCaptureFixture, failure: str) -> None:
    login, schema = role
    good = config(postgres_server, login, schema)
    with Butler.create(tmp_path / "repo", config=good):
        pass
    sections = {"wrong password": good, "no such database": config(postgres_server, login, schema, database="nope"),
                "nobody listening": config(postgres_server, login, schema, port=1),
                "bad port": config(postgres_server, login, schema, port=99999)}[failure]
    if failure == "wrong password":
        # The server's password is SECRET; the client sends SECRET with its last character changed.
        os.environ[VARIABLE] = SECRET[:-1] + "2"  # restored by the role fixture's monkeypatch
        PIECES_HERE = {SECRET[:-1] + "2"}  # noqa: N806 - a local constant for this case
    else:
        PIECES_HERE = set()  # noqa: N806
    (tmp_path / "repo" / "butler.yaml").write_text(yaml.safe_dump({**yaml.safe_load(
        (tmp_path / "repo" / "butler.yaml").read_text()), **sections}))
    with pytest.raises(DataButlerError) as caught:
        Butler(tmp_path / "repo").close()
    shown = shown_by(caught.value)
    assert leaked(shown) == []
    assert [p for p in PIECES_HERE if p in shown] == []
    assert leaked(quiet_logs.text) == []
    failed = CliRunner().invoke(cli, ["config-validate", str(tmp_path / "repo")])
    assert failed.exit_code != 0
    assert leaked(failed.output) == []


@pytest.mark.parametrize("url", [
    "postgresql://alice:pa/ss@db/x",
    f"postgresql://alice:{SECRET}@db/x",
    f"postgresql+psycopg://alice:{SECRET}@db:5432/x?sslmode=require",
    f"postgresql://alice:{urllib.parse.quote(SECRET, safe='')}@db/x",
    "postgresql://alice:pa ss word@db/x",
])
def test_redaction_masks_a_url_password_whatever_it_contains(url: str) -> None:
    password = url.split("://", 1)[1].split(":", 1)[1].rsplit("@", 1)[0]
    for shown in (mask_secrets(f"cannot use {url!r}: failed"), mask_secrets(url),
                  yaml.safe_dump(redact({"registry": {"url": url}}))):
        assert password not in shown
        assert "alice" in shown and "***" in shown
        assert "@db" in shown  # the host is still shown


def test_a_credentials_file_password_with_reserved_characters_opens_the_registry(
        tmp_path: Path, postgres_server: PostgresServer, role: tuple[PostgresRole, str]) -> None:
    login, schema = role
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(yaml.safe_dump({"password": SECRET}))
    credentials.chmod(0o600)
    url = f"postgresql://{login.name}@{postgres_server.host}:{postgres_server.port}/{postgres_server.database}"
    sections = {"registry": {"adapter": "sql", "url": url, "namespace": schema, "credentials_file": str(credentials)}}
    with Butler.create(tmp_path / "repo", config=sections) as butler:
        assert leaked(repr(butler.registry)) == []
    with Butler(tmp_path / "repo") as again:
        assert again.registry.query_collections() == []


def test_a_literal_password_hand_written_into_butler_yaml_is_not_shown_when_it_breaks_the_url(
        tmp_path: Path, postgres_server: PostgresServer, role: tuple[PostgresRole, str],
        monkeypatch: pytest.MonkeyPatch, quiet_logs: pytest.LogCaptureFixture) -> None:
    login, schema = role
    monkeypatch.setenv(VARIABLE, SECRET)
    with Butler.create(tmp_path / "repo", config=config(postgres_server, login, schema)):
        pass
    path = tmp_path / "repo" / "butler.yaml"
    path.write_text(path.read_text().replace(f"${{{VARIABLE}}}", SECRET))  # not encoded: the URL is broken
    with pytest.raises(DataButlerError) as caught:
        Butler(tmp_path / "repo").close()
    assert "percent-encoded" in str(caught.value)
    assert leaked(shown_by(caught.value)) == []
    assert leaked(quiet_logs.text) == []
    dumped = CliRunner().invoke(cli, ["config-dump", str(tmp_path / "repo")])
    assert dumped.exit_code == 0
    assert leaked(dumped.output) == []


def test_only_the_user_and_password_of_a_url_are_percent_encoded_when_substituted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, SECRET)
    monkeypatch.setenv("DATABUTLER_TEST_DIRECTORY", "/data/a b@c")
    url = interpolate(f"postgresql://al%40ice:${{{VARIABLE}}}@db:5432/x?application_name=${{{VARIABLE}}}", "/r")
    parsed = sa.make_url(url)
    assert (parsed.username, parsed.password, parsed.host, parsed.port) == ("al@ice", SECRET, "db", 5432)
    assert interpolate("sqlite:///${DATABUTLER_TEST_DIRECTORY}/registry.sqlite3", "/r") == \
        "sqlite:////data/a b@c/registry.sqlite3"  # a path is not a user name: left as it is
    assert interpolate({"root": "${DATABUTLER_TEST_DIRECTORY}"}, "/r") == {"root": "/data/a b@c"}


@pytest.mark.parametrize("password", ["pa/ss", SECRET, "pa ss"])
def test_a_literal_password_with_any_characters_is_refused_at_create(tmp_path: Path, password: str) -> None:
    sections = {"registry": {"adapter": "sql", "url": f"postgresql://alice:{password}@db.invalid/x"}}
    with pytest.raises(ConfigError, match="literal password") as caught:
        Butler.create(tmp_path / "repo", config=sections)
    assert password not in shown_by(caught.value)
    assert not (tmp_path / "repo" / "butler.yaml").exists()


def test_a_known_password_is_masked_where_it_stands_alone_not_inside_other_words() -> None:
    remember_password("postgres")
    assert mask_secrets("cannot open postgresql://alice:postgres@db/x: password postgres refused") == \
        "cannot open postgresql://alice:***@db/x: password *** refused"
    remember_password(SECRET)
    assert leaked(mask_secrets(f"driver said: {SECRET!r} / {urllib.parse.quote(SECRET, safe='')}")) == []
