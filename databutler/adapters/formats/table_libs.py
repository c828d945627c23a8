"""The optional libraries of table datasets (pyarrow, pandas, astropy), imported on first use.

Their absence is a FormatterError naming the extra to install, so the other StorageClasses
work without them.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...domain.errors import FormatterError

_EXTRAS = {"pyarrow": "tables", "pandas": "tables", "astropy": "tables,fits"}


def require(module: str, what: str = "table datasets") -> Any:
    """Import ``module`` (e.g. ``pyarrow.parquet``), or raise FormatterError saying which extra installs it."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise FormatterError(f"reading or writing {what} needs {top}, which is not installed; install it "
                             f"with `pip install 'databutler[{_EXTRAS.get(top, 'tables')}]'`") from None


def arrow_errors() -> tuple[type[Exception], ...]:
    """The exceptions pyarrow raises for bad data (its own, and the ValueError/TypeError it also uses)."""
    return (require("pyarrow").lib.ArrowException, ValueError, TypeError, KeyError, IndexError)


def read_errors() -> tuple[type[Exception], ...]:
    """What pyarrow raises for an unreadable file: ``arrow_errors`` and OSError (a corrupt footer, say)."""
    return (*arrow_errors(), OSError)
