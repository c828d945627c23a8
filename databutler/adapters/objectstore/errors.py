"""Translating filesystem and client errors into domain errors, never revealing credentials."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...domain.errors import DataButlerError, DatasetNotFoundError, DatastoreError
from ..files.datastore import conflict

_SECRET_KEYS = re.compile(r"secret|token|password|key|credential|sas", re.IGNORECASE)
_SECRET_ENVIRONMENT = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID",
                       "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN")


def secrets_of(storage_options: Mapping[str, Any]) -> frozenset[str]:
    """The credential values in ``storage_options`` (nested too) and the usual environment variables."""
    found: set[str] = set()

    def walk(value: Any, key: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, str) and _SECRET_KEYS.search(key):
            found.add(value)

    walk(storage_options, "")
    found.update(os.environ[name] for name in _SECRET_ENVIRONMENT if os.environ.get(name))
    return frozenset(value for value in found if len(value) >= 4)


def redact(text: str, secrets: frozenset[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


@contextlib.contextmanager
def translated(action: str, where: str, secrets: frozenset[str], *, missing: str | None = None,
               writing: bool = False) -> Iterator[None]:
    """Turn what a filesystem raises while doing ``action`` on ``where`` into a domain error.

    A missing object becomes DatasetNotFoundError (with ``missing`` as its message when given), an
    existing one ConflictingDefinitionError; anything else DatastoreError, with credentials masked
    and the client's exception (which may carry request details) not chained. When ``writing``,
    something missing is the bucket or container: a DatastoreError.
    """
    try:
        yield
    except DataButlerError:
        raise
    except FileNotFoundError as err:
        if writing:
            raise DatastoreError(f"cannot {action} {where}: its bucket or parent does not exist "
                                 f"({redact(str(err), secrets)})") from None
        raise DatasetNotFoundError(missing or f"{where} does not exist") from None
    except FileExistsError:
        raise conflict(where) from None
    except Exception as err:
        detail = redact(str(err) or type(err).__name__, secrets)
        raise DatastoreError(f"cannot {action} {where}: {type(err).__name__}: {detail}") from None
