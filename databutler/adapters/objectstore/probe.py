"""Checking, when a repository is created, that its object-store root exists and accepts writes."""

from __future__ import annotations

import contextlib
import uuid

from ...domain.errors import DatastoreError
from .errors import redact
from .location import ObjectLocation

CREDENTIALS_HELP = ("credentials come from storage_options in butler.yaml (as ${ENV} placeholders) or from the "
                    "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and "
                    "AWS_ENDPOINT_URL for a store that is not AWS")


def probe_root(location: ObjectLocation, secrets: frozenset[str]) -> None:
    """Write and delete a small object under the root, so a missing bucket or bad credentials show at once."""
    path = location.path(f".databutler-probe-{uuid.uuid4().hex}")
    bucket = location.path_prefix.lstrip("/").split("/", 1)[0]
    where = redact(location.uri, secrets)
    try:
        location.fs.pipe_file(path, b"databutler probe")
    except FileNotFoundError:
        raise DatastoreError(f"cannot create a datastore at {where}: bucket {bucket!r} does not exist (or these "
                             f"credentials cannot see it); create the bucket first, then create the repository "
                             f"again ({CREDENTIALS_HELP})") from None
    except PermissionError as err:
        raise DatastoreError(f"cannot create a datastore at {where}: the store refused the credentials or the "
                             f"write ({redact(str(err), secrets)}); {CREDENTIALS_HELP}") from None
    except Exception as err:
        if type(err).__name__ == "NoCredentialsError":  # botocore's, raised before any request is made
            raise DatastoreError(f"cannot create a datastore at {where}: no credentials were found; "
                                 f"{CREDENTIALS_HELP}") from None
        detail = redact(str(err) or type(err).__name__, secrets)
        raise DatastoreError(f"cannot create a datastore at {where}: a test write failed ({type(err).__name__}: "
                             f"{detail}); {CREDENTIALS_HELP}") from None
    with contextlib.suppress(Exception):
        location.fs.rm_file(path)
    with contextlib.suppress(Exception):
        location.fs.invalidate_cache(location.path_prefix)
