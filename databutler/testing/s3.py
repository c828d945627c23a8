"""An S3-compatible server on 127.0.0.1 for tests: moto in server mode, reached through s3fs.

One server per process (started on first use, at a free port), fake credentials and its
endpoint in the environment (as a deployment would give them), and one fresh bucket per test::

    class TestMyS3Thing(S3Fixtures):
        def test_it(self, s3_bucket: str, s3_server: S3Server) -> None:
            ...  # s3_bucket is "s3://<fresh bucket>"; s3_server.log records every request

The server records each request with the number of body bytes it sent back, so a test can show
that a read fetched byte ranges rather than a whole object.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

FAKE_ACCESS_KEY = "databutler-test-access-key"
FAKE_SECRET = "databutler-test-secret-0123456789"
REGION = "us-east-1"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@attrs.define
class RequestRecord:
    """One request the server answered: method, path, Range header and response body bytes.

    Logged when the request arrives; ``bytes_sent`` grows before each chunk goes to the socket,
    so it is complete by the time the client has read the whole response.
    """

    method: str
    path: str
    range: str | None
    bytes_sent: int = 0


class S3Server(ThreadedMotoServer):
    """moto's threaded S3 server on 127.0.0.1 at a free port, logging every request it answers."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.log: list[RequestRecord] = []
        self._log_lock = threading.Lock()

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, self._logging(app), True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    def _logging(self, app: WsgiApp) -> WsgiApp:
        def logged(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
            record = RequestRecord(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                                   environ.get("HTTP_RANGE"))
            with self._log_lock:
                self.log.append(record)
            for chunk in app(environ, start_response):
                record.bytes_sent += len(chunk)
                yield chunk

        return logged

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def bytes_sent(self, path_suffix: str, since: int = 0) -> int:
        """Body bytes sent for GET requests of paths ending in ``path_suffix``, from log entry ``since`` on."""
        with self._log_lock:
            return sum(r.bytes_sent for r in self.log[since:] if r.method == "GET" and r.path.endswith(path_suffix))


@functools.cache
def shared_server() -> S3Server:
    """The process's S3 server, started on first use with fake credentials and its endpoint in the environment."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = S3Server()
    server.start()
    os.environ.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": server.endpoint_url})
    no_proxy = os.environ.get("NO_PROXY", "")
    os.environ["NO_PROXY"] = ",".join(filter(None, [no_proxy, "127.0.0.1"]))
    atexit.register(server.stop)
    return server


def s3_filesystem() -> Any:
    """An s3fs filesystem on the shared server (credentials and endpoint from the environment)."""
    import s3fs

    shared_server()
    return s3fs.S3FileSystem()


def new_bucket() -> str:
    """Create a fresh bucket on the shared server; return its ``s3://`` URI."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_filesystem().call_s3("create_bucket", Bucket=name)
    return f"s3://{name}"


def drop_bucket(uri: str) -> None:
    """Delete bucket ``uri`` and everything in it."""
    fs = s3_filesystem()
    bucket = uri.removeprefix("s3://")
    while keys := [{"Key": o["Key"]} for o in fs.call_s3("list_objects_v2", Bucket=bucket).get("Contents", [])]:
        fs.call_s3("delete_objects", Bucket=bucket, Delete={"Objects": keys})
    fs.call_s3("delete_bucket", Bucket=bucket)
    fs.invalidate_cache()


@contextlib.contextmanager
def server_process() -> Iterator[str]:
    """moto's S3 server in a child process on a free port of 127.0.0.1 (for benchmarks); yields its URL.

    A separate process keeps the server's copies of the objects out of the caller's memory and CPU.
    Sets fake credentials and the endpoint in the environment, as ``shared_server`` does.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
                           "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint})
        yield endpoint
    finally:
        server.terminate()
        server.wait()


class S3Fixtures:
    """Mixin: the ``s3_server`` and a fresh ``s3_bucket`` per test."""

    @pytest.fixture
    def s3_server(self) -> S3Server:
        """The shared S3-compatible server on 127.0.0.1."""
        return shared_server()

    @pytest.fixture
    def s3_bucket(self, s3_server: S3Server) -> Iterator[str]:
        """A fresh, empty bucket, dropped after the test: ``s3://<name>``."""
        uri = new_bucket()
        yield uri
        drop_bucket(uri)
