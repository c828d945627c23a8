"""A throwaway PostgreSQL cluster for tests: one per pytest session, a fresh schema per test.

The cluster is made with the server's own binaries (``initdb`` and ``pg_ctl``, found through
``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` or ``PATH``) in a temporary directory,
listening on 127.0.0.1 at a free port and on a unix socket in that directory. TCP connections
need a password (scram-sha-256), so the tests exercise real credentials. The servers refuse to
run as root, so as root every binary runs as the ``postgres`` OS user (``runuser``) in a
directory that user owns.

Fixtures (registered by the databutler pytest plugin):

- ``postgres_server``: the session's :class:`PostgresServer`; skipped when no server binaries are
  found, unless the environment variable ``CI`` is set, where that is a failure.
- ``postgres_schema``: the name of a new, empty schema, dropped (with everything in it) at teardown.

Roles are cluster-wide: ``PostgresServer.create_role`` makes a login role with a unique name and
no privileges beyond PUBLIC's (CONNECT and TEMPORARY on every database), ``grant_release_reader``
gives it read-only access to one schema and a schema of its own, as a layered personal registry
has. Grants inside a database (on its schemas and tables) are copied with it when it serves as a
template; grants on the database itself are not.
"""

from __future__ import annotations

import glob
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

SERVER_USER = "postgres"
"""The OS user that runs the cluster when the tests run as root."""


@attrs.frozen
class PostgresRole:
    """A login role of the cluster and its password."""

    name: str
    password: str = attrs.field(repr=False)


@attrs.frozen
class PostgresServer:
    """A running cluster: where it listens and the superuser's credentials."""

    bindir: str
    directory: str
    host: str
    port: int
    socket_dir: str
    user: str
    password: str = attrs.field(repr=False)
    database: str = "postgres"

    def url(self, *, user: str | None = None, password: str | None = None, database: str | None = None) -> str:
        """A ``postgresql+psycopg://`` URL on TCP for ``user`` (the superuser by default)."""
        return sa.URL.create("postgresql+psycopg", username=user or self.user,
                             password=self.password if password is None else password, host=self.host,
                             port=self.port, database=database or self.database).render_as_string(
                                 hide_password=False)

    def execute(self, *statements: str, database: str | None = None) -> None:
        """Run ``statements`` as the superuser in ``database``, each committed (for test set-up and teardown)."""
        engine = sa.create_engine(self.url(database=database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def create_database(self, template: str | None = None) -> str:
        """Create a new database (a copy of ``template`` when given) and return its name."""
        name = f"db_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{copy}')
        return name

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, disconnecting whoever is still connected to it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_role(self, prefix: str = "role") -> PostgresRole:
        """Create a login role named ``prefix`` and a unique suffix, with a random password and no privileges."""
        role = PostgresRole(f"{prefix}_{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(16))
        self.execute(f'CREATE ROLE "{role.name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT '
                     f"PASSWORD '{role.password}'")
        return role

    def drop_role(self, role: PostgresRole) -> None:
        """Drop ``role``; drop the databases holding objects it owns first."""
        self.execute(f'DROP ROLE IF EXISTS "{role.name}"')

    def grant_release_reader(self, database: str, role: PostgresRole, *, release: str, personal: str) -> None:
        """Give ``role`` USAGE on schema ``release`` and SELECT on its tables and views, and make it own ``personal``.

        That is all a personal registry layered over the release in ``release`` needs: it reads
        the release through temporary views (TEMPORARY is PUBLIC's) and writes only ``personal``.
        Run it after the release's tables exist: SELECT is granted on the tables there are now.
        """
        self.execute(f'GRANT USAGE ON SCHEMA "{release}" TO "{role.name}"',
                     f'GRANT SELECT ON ALL TABLES IN SCHEMA "{release}" TO "{role.name}"',
                     f'CREATE SCHEMA "{personal}" AUTHORIZATION "{role.name}"', database=database)


PASSWORD_VARIABLE = "DATABUTLER_TEST_PGPASSWORD"
"""The environment variable a test's butler.yaml names the superuser's password by (never the password itself)."""


def registry_section(server: PostgresServer, namespace: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The ``registry:`` section of a repo in schema ``namespace``; the password is a ``${...}`` placeholder.

    ``monkeypatch`` sets the variable for the test.
    """
    monkeypatch.setenv(PASSWORD_VARIABLE, server.password)
    url = f"postgresql://{server.user}:${{{PASSWORD_VARIABLE}}}@{server.host}:{server.port}/{server.database}"
    return {"adapter": "sql", "url": url, "namespace": namespace}


def find_bindir() -> str | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None when no server is installed."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(found.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates.extend(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(os.path.realpath(initdb)))
    for directory in candidates:
        if all(os.access(os.path.join(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", SERVER_USER, "--", *command]


def _give_to_server_user(path: str) -> None:
    if os.geteuid() == 0:
        import pwd  # POSIX only, like running tests as root

        entry = pwd.getpwnam(SERVER_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(command: Sequence[str], what: str) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def start_cluster(bindir: str, *, max_connections: int = 60, shared_buffers: str = "64MB") -> PostgresServer:
    """initdb a new cluster in a temporary directory and start it; stop it with ``stop_cluster``."""
    directory = tempfile.mkdtemp(prefix="databutler-pg-")
    os.chmod(directory, 0o700)
    _give_to_server_user(directory)
    password = secrets.token_urlsafe(16)
    pwfile = os.path.join(directory, "pwfile")
    with open(pwfile, "w", encoding="utf-8") as stream:
        stream.write(password + "\n")
    _give_to_server_user(pwfile)
    data = os.path.join(directory, "data")
    _run([os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", f"--pwfile={pwfile}", "--auth-local=trust",
          "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"], "initdb")
    os.unlink(pwfile)
    port = free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off -c synchronous_commit=off "
               f"-c full_page_writes=off -c max_connections={max_connections} -c shared_buffers={shared_buffers}")
    _run([os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(directory, "server.log"), "-o", options,
          "-w", "-t", "60", "start"], "pg_ctl start")
    server = PostgresServer(bindir, directory, "127.0.0.1", port, directory, "postgres", password)
    _stop_when_gone(server, os.getpid())
    deadline = time.monotonic() + 30
    while True:  # pg_ctl -w waits for the socket; make sure TCP with a password works too
        try:
            server.execute("SELECT 1")
            return server
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                stop_cluster(server)
                raise


def _stop_command(server: PostgresServer) -> list[str]:
    return [os.path.join(server.bindir, "pg_ctl"), "-D", os.path.join(server.directory, "data"), "-m", "immediate",
            "-w", "stop"]


def _stop_when_gone(server: PostgresServer, owner: int) -> None:
    """Start a detached watcher that stops the cluster if process ``owner`` dies without stopping it."""
    stop = " ".join(shlex.quote(part) for part in _as_server_user(_stop_command(server)))
    script = (f"while kill -0 {owner} 2>/dev/null; do sleep 2; done; "
              f"if [ -d {shlex.quote(server.directory)} ]; then {stop}; rm -rf {shlex.quote(server.directory)}; fi")
    subprocess.run(["sh", "-c", f"setsid sh -c {shlex.quote(script)} >/dev/null 2>&1 < /dev/null &"], check=False)


def stop_cluster(server: PostgresServer) -> None:
    """Stop the cluster at once and delete its directory."""
    try:
        _run(_stop_command(server), "pg_ctl stop")
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


def missing_server(reason: str) -> None:
    """Skip the test, or fail it when ``CI`` is set (CI must run every backend)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must test PostgreSQL (install Debian's 'postgresql' package)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's throwaway PostgreSQL cluster (skipped without server binaries; failed in CI)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing_server("the psycopg driver is not installed (pip install 'databutler[postgresql]')")
    bindir = find_bindir()
    if bindir is None:
        missing_server("no PostgreSQL server binaries (initdb, pg_ctl) found via pg_config, /usr/lib/postgresql "
                       "or PATH")
    assert bindir is not None
    server = start_cluster(bindir)
    try:
        yield server
    finally:
        stop_cluster(server)


@pytest.fixture
def postgres_schema(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty schema name for one test; the schema and all it holds are dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    postgres_server.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, namespace) of an empty database for a registry: a SQLite file, then a schema of the throwaway cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/registry.sqlite3", None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url(), request.getfixturevalue("postgres_schema")


__all__ = ["PostgresRole", "PostgresServer", "find_bindir", "postgres_schema", "postgres_server", "sql_database",
           "start_cluster", "stop_cluster"]
