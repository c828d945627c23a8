"""Masking the password of every URL in a text, whatever characters the password holds.

A URL's password runs from the first ':' after the user name to the *last* '@' before the host,
so a password holding '@', ':', '/', '#', '?', '%' or spaces (percent-encoded or not) is masked
whole. Over-masking (an '@' later on the same line) is preferred to showing part of a secret.
"""

from __future__ import annotations

import re

MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_USER = re.compile(r"[^:/@\s'\"]*:")


def url_password_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the password of every ``scheme://user:password@host`` URL in ``text``."""
    spans: list[tuple[int, int]] = []
    schemes = list(_SCHEME.finditer(text))
    for index, scheme in enumerate(schemes):
        if spans and scheme.start() < spans[-1][1]:
            continue  # inside a password found already
        user = _USER.match(text, scheme.end())
        if user is None:
            continue
        # The URL may reach the end of its line, or the next URL; its host follows the last '@' in it.
        end = text.find("\n", user.end())
        end = len(text) if end == -1 else end
        later = next((s.start() for s in schemes[index + 1:] if s.start() > user.end()), end)
        at = text.rfind("@", user.end(), min(end, later))
        if at != -1:
            spans.append((user.end(), at))
    return spans


def mask_url_passwords(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` URL replaced by ``***``."""
    pieces: list[str] = []
    position = 0
    for start, end in url_password_spans(text):
        pieces.append(text[position:start] + MASK)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
