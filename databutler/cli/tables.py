"""Reading tables of records from YAML or CSV files (insert-data-units, ingest-files)."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from typing import Any

import yaml

from ..domain.errors import DataButlerError
from .common import parse_value


class InputFileError(DataButlerError):
    """A records or file-list table could not be read."""


def read_table(path: str, element: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``path``: a CSV with a header row, or YAML holding a list of mappings.

    A YAML mapping from element names to lists is accepted too; ``element`` picks its list.
    CSV cells read as int or float when they look like one; an empty cell is None.
    """
    try:
        if path.lower().endswith(".csv"):
            with open(path, newline="", encoding="utf-8") as handle:
                return [{k: (None if v == "" else parse_value(v)) for k, v in row.items()}
                        for row in csv.DictReader(handle)]
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as err:
        raise InputFileError(f"cannot read {path}: {err.strerror}") from None
    except (yaml.YAMLError, csv.Error, UnicodeDecodeError) as err:
        raise InputFileError(f"cannot parse {path}: {err}") from None
    if isinstance(data, Mapping) and element is not None and element in data:
        data = data[element]
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise InputFileError(f"{os.path.basename(path)} must hold a list of records (mappings)"
                             + (f" or a mapping with the key {element!r}" if element else ""))
    return [dict(row) for row in data]
