"""Database credentials: read from a private file, and masked in every message that shows a URL.

A password reaches a registry URL in one of two ways, never through butler.yaml itself:
``${PGPASSWORD}``-style interpolation of the environment (done by the config loader, which
percent-encodes it there), or the registry option ``credentials_file``: a YAML file
``{password: ..., username: ...}`` (username optional) that only its owner may read (mode 0600
or 0400), refused otherwise, like ssh keys.

Masking works twice over: every URL's password is cut out by its position (see
``databutler.domain.redaction``), and every password this process has parsed from a registry URL
is replaced wherever it appears, in any of the forms a message may quote it in.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import urllib.parse
from typing import Any

import sqlalchemy as sa
import yaml

from ...domain.errors import ConfigError
from ...domain.redaction import MASK, mask_url_passwords

_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_known: set[str] = set()
_known_lock = threading.Lock()


def remember_password(password: str | None) -> None:
    """Mask ``password`` (and the ways a message may quote it) in every later ``mask_secrets``."""
    if not password:
        return
    forms = {password, urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password),
             urllib.parse.quote(password), repr(password)[1:-1], password.replace("'", "''")}
    with _known_lock:
        _known.update(form for form in forms if len(form) >= 4)


def mask_secrets(text: str) -> str:
    """``text`` with every known password, the password of every URL and of every conninfo masked."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        # Whole occurrences only: a password "postgres" must not turn "postgresql://" into "***ql://".
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)
    text = mask_url_passwords(text)
    return _CONNINFO_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def shown(url: sa.URL) -> str:
    """``url`` as messages show it: the password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def read_credentials_file(path: str) -> dict[str, str]:
    """The ``password`` (and optional ``username``) in ``path``, refusing a file others may read."""
    path = os.path.expanduser(path)
    try:
        info = os.stat(path)
    except OSError as err:
        raise ConfigError(f"cannot read the registry credentials file {path!r}: {err.strerror}") from None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"the registry credentials file {path!r} is not a regular file")
    if mode & 0o077:
        raise ConfigError(f"the registry credentials file {path!r} has permissions {mode:04o}, so other users may "
                          f"read it; it must be private: run `chmod 600 {path}`")
    try:
        with open(path, encoding="utf-8") as stream:
            data: Any = yaml.safe_load(stream)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        # The parser's message may quote the file's content, so it is not repeated here.
        raise ConfigError(f"cannot read the registry credentials file {path!r}: it must be YAML "
                          f"'password: ...' (and optionally 'username: ...'); {type(err).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("password"), str) or not data["password"]:
        raise ConfigError(f"the registry credentials file {path!r} must hold a mapping with a non-empty "
                          "'password' string (and optionally 'username')")
    unknown = sorted(set(data) - {"password", "username"})
    if unknown:
        raise ConfigError(f"the registry credentials file {path!r} has unknown keys {unknown}; "
                          "known: ['password', 'username']")
    username = data.get("username")
    if username is not None and (not isinstance(username, str) or not username):
        raise ConfigError(f"'username' in the registry credentials file {path!r} must be a non-empty string")
    return {k: v for k, v in data.items() if v is not None}


def with_credentials(url: sa.URL, path: str) -> sa.URL:
    """``url`` with the password (and username, if given) from credentials file ``path``."""
    if url.get_backend_name() == "sqlite":
        raise ConfigError("a credentials_file only applies to a database server; a SQLite registry has none")
    if url.password is not None:
        raise ConfigError(f"the registry url {shown(url)} already has a password and a credentials_file is "
                          "given too; keep the password in one place (the credentials file)")
    credentials = read_credentials_file(path)
    remember_password(credentials["password"])
    return url.set(username=credentials.get("username", url.username), password=credentials["password"])
