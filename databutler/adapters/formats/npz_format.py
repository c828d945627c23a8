"""ArrayWithMetadata composites as ``.npz`` archives: one ``.npy`` member and one JSON member.

Reading one component reads only that member; the ``slices`` parameter reads only the needed
rows of an uncompressed array member, located by its offset in the archive.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Mapping
from typing import IO, Any

from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .array_io import import_numpy, read_array, read_array_part, write_array
from .checks import check_storage_class, check_writable, type_name

ARRAY_MEMBER = "array.npy"
METADATA_MEMBER = "metadata.json"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, fixed fields, name and extra lengths
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"


class NpzFormatter(Formatter):
    """``{'array': ndarray, 'metadata': dict}`` composites as uncompressed ``.npz`` archives."""

    name = "npz"
    extension = ".npz"
    storage_classes = frozenset({"ArrayWithMetadata"})
    partial_read = True

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write composite ``obj`` to ``stream`` as an archive of its two components."""
        check_writable(self, obj, storage_class)
        array, metadata = _components(obj)
        try:
            metadata_bytes = json.dumps(metadata, ensure_ascii=False).encode()
        except (TypeError, ValueError, RecursionError) as err:
            raise FormatterError(f"cannot write the metadata component as JSON: {err}") from None
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as archive:
            with archive.open(ARRAY_MEMBER, "w", force_zip64=True) as member:
                write_array(array, member)
            archive.writestr(METADATA_MEMBER, metadata_bytes)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read both components from ``stream``."""
        return self.read(stream, storage_class)

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Read the composite or one component, reading only the members (and rows) needed."""
        check_storage_class(self, storage_class)
        storage_class.check_parameters(parameters)
        if component is not None:
            storage_class.component(component)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, ValueError, EOFError) as err:
            raise FormatterError(f"malformed .npz archive: {err}") from None
        with archive:
            if component == "metadata":
                return _read_metadata(archive)
            array = _read_array(archive, stream, parameters)
            if component == "array":
                return array
            return {"array": array, "metadata": _read_metadata(archive)}


def _components(obj: Any) -> tuple[Any, dict[str, Any]]:
    """The array and metadata of composite ``obj``; StorageClassError if it is not one."""
    numpy = import_numpy()
    if set(obj) != {"array", "metadata"}:
        raise StorageClassError(f"an ArrayWithMetadata dataset is a dict with exactly the keys 'array' and "
                                f"'metadata', got keys {sorted(map(str, obj))}")
    if not isinstance(obj["array"], numpy.ndarray) or not isinstance(obj["metadata"], dict):
        raise StorageClassError(f"an ArrayWithMetadata dataset needs an ndarray 'array' and a dict 'metadata', "
                                f"got {type_name(obj['array'])} and {type_name(obj['metadata'])}")
    return obj["array"], obj["metadata"]


def _member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        return archive.getinfo(name)
    except KeyError:
        raise FormatterError(f"malformed .npz archive: it has no member {name!r}") from None


def _read_metadata(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        metadata = json.loads(archive.read(_member(archive, METADATA_MEMBER)))
    except (ValueError, RecursionError, zipfile.BadZipFile, EOFError) as err:
        raise FormatterError(f"malformed metadata member of .npz archive: {err}") from None
    if not isinstance(metadata, dict):
        raise FormatterError(f"the metadata member of the .npz archive is a {type_name(metadata)}, not a dict")
    return metadata


def _read_array(archive: zipfile.ZipFile, stream: IO[bytes], parameters: Mapping[str, Any] | None) -> Any:
    info = _member(archive, ARRAY_MEMBER)
    if not parameters or "slices" not in parameters:
        try:
            with archive.open(info) as member:
                return read_array(member)
        except (zipfile.BadZipFile, EOFError) as err:
            raise FormatterError(f"malformed array member of .npz archive: {err}") from None
    if info.compress_type == zipfile.ZIP_STORED:
        offset = _data_offset(stream, info)
        stream.seek(offset)
        return read_array_part(stream, parameters["slices"], end=offset + info.compress_size)
    with archive.open(info) as member:
        return read_array_part(member, parameters["slices"])


def _data_offset(stream: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where the bytes of stored member ``info`` start in the archive ``stream``."""
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise FormatterError("malformed .npz archive: truncated member header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_HEADER_SIGNATURE:
        raise FormatterError("malformed .npz archive: bad member header signature")
    return int(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
