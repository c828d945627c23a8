"""Example third-party formatter and StorageClass: a small table of strings (``Table``) stored as a CSV file."""

from .csv_format import CsvFormatter
from .table import CSV_TABLE, Table, conversions, table_as_rows

__all__ = ["CSV_TABLE", "CsvFormatter", "Table", "conversions", "table_as_rows"]
