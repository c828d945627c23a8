"""The bundled formatters: JSON, YAML, pickle, npy, npz, Parquet and FITS files, boxes, WCS headers, plain bytes."""

from ...ports.formatter import FormatterSet
from .box_format import BoxFormatter
from .bytes_format import BytesFormatter
from .exposure import Exposure
from .fits_format import FitsExposureFormatter
from .json_format import JsonFormatter
from .npy_format import NpyFormatter
from .npz_format import NpzFormatter
from .parquet_format import ParquetFormatter
from .pickle_format import PickleFormatter
from .wcs_format import WcsHeaderFormatter
from .yaml_format import YamlFormatter

DEFAULT_FORMATTERS = {
    "StructuredData": JsonFormatter.name,
    "StructuredDataDict": JsonFormatter.name,
    "StructuredDataList": JsonFormatter.name,
    "NumpyArray": NpyFormatter.name,
    "Object": PickleFormatter.name,
    "SkyMap": PickleFormatter.name,
    "ArrayWithMetadata": NpzFormatter.name,
    "Bytes": BytesFormatter.name,
    "Exposure": FitsExposureFormatter.name,
    "ArrowTable": ParquetFormatter.name,
    "DataFrame": ParquetFormatter.name,
    "AstropyTable": ParquetFormatter.name,
    "Box": BoxFormatter.name,
    "Wcs": WcsHeaderFormatter.name,
}
"""The default formatter name of each builtin StorageClass."""


def default_formatter_set() -> FormatterSet:
    """All bundled formatters, with the defaults of ``DEFAULT_FORMATTERS`` (YAML by name or extension)."""
    formatters = (JsonFormatter(), YamlFormatter(), PickleFormatter(), NpyFormatter(), NpzFormatter(), BytesFormatter(),
                  FitsExposureFormatter(), ParquetFormatter(), BoxFormatter(), WcsHeaderFormatter())
    return FormatterSet(formatters, DEFAULT_FORMATTERS)


__all__ = [
    "DEFAULT_FORMATTERS",
    "BoxFormatter",
    "BytesFormatter",
    "Exposure",
    "FitsExposureFormatter",
    "JsonFormatter",
    "NpyFormatter",
    "NpzFormatter",
    "ParquetFormatter",
    "PickleFormatter",
    "WcsHeaderFormatter",
    "YamlFormatter",
    "default_formatter_set",
]
