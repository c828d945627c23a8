"""SqlRegistry on a real PostgreSQL cluster: URLs, namespaces, credentials and their masking."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from databutler import Butler
from databutler.adapters.sql import SqlRegistry, make_registry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.errors import ConfigError, RegistryError
from databutler.testing.postgres import PostgresServer


def schema_tables(server: PostgresServer, schema: str) -> set[str]:
    """The tables in ``schema`` of the main database, read without the registry (a backdoor)."""
    engine = sa.create_engine(server.url())
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names(schema=schema))
    finally:
        engine.dispose()


def test_plain_postgresql_url_uses_psycopg_3_and_the_named_schema(postgres_server: PostgresServer,
                                                                   postgres_schema: str) -> None:
    plain = postgres_server.url().replace("postgresql+psycopg://", "postgresql://")
    with SqlRegistry.create(plain, default_universe(), namespace=postgres_schema) as registry:
        registry.register_collection("run1", CollectionKind.RUN)
        assert "psycopg" in repr(registry._session._engine.dialect.driver)
    assert {"dataset", "collection", "visit"} <= schema_tables(postgres_server, postgres_schema)
    assert "dataset" not in schema_tables(postgres_server, "public")
    with SqlRegistry.open(plain, namespace=postgres_schema) as again:
        assert again.get_collection("run1").kind is CollectionKind.RUN


def test_two_registries_share_one_server_in_separate_schemas(postgres_server: PostgresServer,
                                                             postgres_schema: str) -> None:
    other = postgres_schema + "_b"
    try:
        with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema) as a, \
                SqlRegistry.create(postgres_server.url(), default_universe(), namespace=other) as b:
            a.register_collection("only_in_a", CollectionKind.RUN)
            assert b.query_collections() == []
    finally:
        postgres_server.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


def test_a_wrong_password_is_refused_without_showing_it(postgres_server: PostgresServer, postgres_schema: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    secret = "not-the-Password-4711"
    url = postgres_server.url(password=secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RegistryError, match="password authentication failed") as caught:
        SqlRegistry.create(url, default_universe(), namespace=postgres_schema, echo=True)
    assert secret not in str(caught.value)
    assert "***" in str(caught.value)
    assert secret not in caplog.text
    assert postgres_schema not in [s for s in _schemas(postgres_server)]  # nothing was created


def test_no_message_or_log_shows_the_real_password(postgres_server: PostgresServer, postgres_schema: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema,
                            echo=True) as registry:
        registry.register_collection("run1", CollectionKind.RUN)
        shown = repr(registry)
        with pytest.raises(RegistryError, match="bogus_option") as caught:
            SqlRegistry.create(postgres_server.url() + "?bogus_option=1", default_universe(), namespace="x")
    assert postgres_server.password not in shown + caplog.text + str(caught.value)


def _schemas(server: PostgresServer) -> list[str]:
    engine = sa.create_engine(server.url())
    try:
        with engine.connect() as connection:
            return list(sa.inspect(connection).get_schema_names())
    finally:
        engine.dispose()


def _credentials_file(tmp_path: Path, server: PostgresServer, mode: int) -> Path:
    path = tmp_path / "db-credentials.yaml"
    path.write_text(yaml.safe_dump({"username": server.user, "password": server.password}))
    path.chmod(mode)
    return path


def test_credentials_file_with_mode_0600_supplies_the_password(tmp_path: Path, postgres_server: PostgresServer,
                                                                postgres_schema: str) -> None:
    path = _credentials_file(tmp_path, postgres_server, 0o600)
    url = f"postgresql://{postgres_server.host}:{postgres_server.port}/postgres"
    options = {"adapter": "sql", "url": url, "namespace": postgres_schema, "credentials_file": str(path)}
    with make_registry(options, universe=default_universe(), create=True, writeable=True) as registry:
        assert postgres_server.password not in repr(registry)
    assert "dataset" in schema_tables(postgres_server, postgres_schema)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_credentials_file_readable_by_others_is_refused(tmp_path: Path, postgres_server: PostgresServer,
                                                        postgres_schema: str, mode: int) -> None:
    path = _credentials_file(tmp_path, postgres_server, mode)
    url = f"postgresql://{postgres_server.host}:{postgres_server.port}/postgres"
    options = {"adapter": "sql", "url": url, "namespace": postgres_schema, "credentials_file": str(path)}
    with pytest.raises(ConfigError, match="chmod 600") as caught:
        make_registry(options, universe=default_universe(), create=True, writeable=True)
    assert postgres_server.password not in str(caught.value)
    assert os.stat(path).st_mode & 0o777 == mode  # the file is left as it was
    assert postgres_schema not in _schemas(postgres_server)  # and no registry was made


def test_credentials_file_and_a_password_in_the_url_are_refused_together(tmp_path: Path,
                                                                       postgres_server: PostgresServer) -> None:
    path = _credentials_file(tmp_path, postgres_server, 0o600)
    options = {"adapter": "sql", "url": postgres_server.url(), "credentials_file": str(path)}
    with pytest.raises(ConfigError, match="one place") as caught:
        make_registry(options, universe=default_universe(), create=True, writeable=True)
    assert postgres_server.password not in str(caught.value)


@pytest.mark.parametrize("namespace", ["1abc", "a-b", 'x"; DROP SCHEMA public CASCADE; --', "", "a" * 64])
def test_a_namespace_that_is_not_a_schema_name_is_refused(postgres_server: PostgresServer, namespace: str) -> None:
    options = {"adapter": "sql", "url": postgres_server.url(), "namespace": namespace}
    before = _schemas(postgres_server)
    with pytest.raises(ConfigError, match="namespace"):
        make_registry(options, universe=default_universe(), create=True, writeable=True)
    assert _schemas(postgres_server) == before


def test_butler_yaml_names_the_schema_and_keeps_the_password_in_the_environment(
        tmp_path: Path, postgres_server: PostgresServer, postgres_schema: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABUTLER_TEST_PGPASSWORD", postgres_server.password)
    url = (f"postgresql://{postgres_server.user}:${{DATABUTLER_TEST_PGPASSWORD}}@{postgres_server.host}:"
           f"{postgres_server.port}/postgres")
    config = {"registry": {"adapter": "sql", "url": url, "namespace": postgres_schema}}
    with Butler.create(tmp_path / "repo", config=config) as butler:
        butler.registry.register_collection("run1", CollectionKind.RUN)
    written = (tmp_path / "repo" / "butler.yaml").read_text()
    assert postgres_server.password not in written
    assert "${DATABUTLER_TEST_PGPASSWORD}" in written
    assert "dataset" in schema_tables(postgres_server, postgres_schema)
    with Butler(tmp_path / "repo") as again:
        assert again.registry.get_collection("run1").kind is CollectionKind.RUN


def test_a_literal_password_is_never_written_into_butler_yaml(tmp_path: Path, postgres_server: PostgresServer,
                                                             postgres_schema: str) -> None:
    config = {"registry": {"adapter": "sql", "url": postgres_server.url(), "namespace": postgres_schema}}
    with pytest.raises(ConfigError, match="PGPASSWORD") as caught:
        Butler.create(tmp_path / "repo", config=config)
    assert postgres_server.password not in str(caught.value)
    assert not (tmp_path / "repo" / "butler.yaml").exists()
    assert postgres_schema not in _schemas(postgres_server)


def test_names_and_data_id_keys_sort_by_code_point_whatever_the_server_locale(
        postgres_server: PostgresServer, postgres_schema: str) -> None:
    SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema).close()
    engine = sa.create_engine(postgres_server.url())
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND column_name IN ('name', 'data_id_key')"), {"schema": postgres_schema})
            collations = {(table, column): collation for table, column, collation in rows}
    finally:
        engine.dispose()
    for column in [("collection", "name"), ("dataset_type", "name"), ("dataset", "data_id_key"),
                   ("dataset_tag", "data_id_key"), ("instrument", "name")]:
        assert collations[column] == "C", column
    with SqlRegistry.open(postgres_server.url(), namespace=postgres_schema) as registry:
        for name in ("b", "B", "a_z", "a-z", "Z"):
            registry.register_collection(name, CollectionKind.RUN)
        assert [c.name for c in registry.query_collections()] == sorted(["b", "B", "a_z", "a-z", "Z"])


def test_opening_a_schema_without_a_registry_names_the_schema_and_creates_nothing(
        postgres_server: PostgresServer, postgres_schema: str) -> None:
    with pytest.raises(RegistryError, match=f"no databutler registry at .* in schema '{postgres_schema}'") as caught:
        SqlRegistry.open(postgres_server.url(), namespace=postgres_schema)
    assert postgres_server.password not in str(caught.value)
    assert postgres_schema not in _schemas(postgres_server)
