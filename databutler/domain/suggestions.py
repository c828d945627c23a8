"""Suggesting the names a user most likely meant, for error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """The names in ``candidates`` closest to ``name``, best first (none when nothing is close)."""
    return difflib.get_close_matches(name, list(dict.fromkeys(candidates)), n=limit, cutoff=0.5)


def did_you_mean(names: Iterable[str]) -> str:
    """``did you mean 'a' or 'b'?`` for the given names."""
    return "did you mean " + " or ".join(repr(n) for n in names) + "?"


def hint(name: str, candidates: Iterable[str], *, otherwise: str = "") -> str:
    """``did you mean ...?`` naming the candidates closest to ``name``, or ``otherwise`` if none is close."""
    close = closest(name, candidates)
    return did_you_mean(close) if close else otherwise
