"""The YAML tags of the reference's export files: ``!uuid``, ``!butler_time/...`` and sphgeom regions."""

from __future__ import annotations

import datetime
import uuid
from typing import IO, TYPE_CHECKING, Any

import attrs
import yaml

from ...domain.errors import DataIdError, ExportFormatError
from ...domain.region import Region, encode_region
from ...domain.values import Timespan
from .names import REGION_TAGS
from .times import format_tai_iso, parse_iso, tai_to_utc

if TYPE_CHECKING:
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper
else:  # the C (libyaml) classes where PyYAML has them: several times faster on large exports
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@attrs.frozen
class TaiTime:
    """A UTC datetime to be written as the reference's TAI time tag."""

    utc: datetime.datetime


@attrs.frozen
class EncodedRegion:
    """A region in the reference's binary encoding (hex), to be written with its sphgeom tag."""

    hex: str


class ExportLoader(_Loader):
    """A safe loader that also understands the reference's tags (a subclass: the global one is untouched)."""


class ExportDumper(_Dumper):
    """A safe dumper that writes the reference's tags."""


def _uuid(loader: yaml.SafeLoader, node: yaml.Node) -> uuid.UUID | None:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ExportFormatError(f"{value!r} (line {node.start_mark.line + 1}) is not a UUID") from None


def _time(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> datetime.datetime | None:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    if value in (None, ""):
        return None
    scale, _, form = suffix.partition("/")
    if form not in ("iso", "isot") or scale not in ("tai", "utc"):
        raise ExportFormatError(f"time tag !butler_time/{suffix} (line {node.start_mark.line + 1}) is not one "
                                "databutler reads (tai or utc, iso or isot)")
    reading = parse_iso(str(value))
    return tai_to_utc(reading) if scale == "tai" else reading


def _region(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> bytes:
    if not isinstance(node, yaml.MappingNode):
        raise ExportFormatError(f"region {suffix} (line {node.start_mark.line + 1}) is not a mapping with "
                                "an 'encoded' value")
    data = loader.construct_mapping(node)
    encoded = data.get("encoded")
    if not isinstance(encoded, str):
        raise ExportFormatError(f"region {suffix} (line {node.start_mark.line + 1}) has no 'encoded' hex value")
    try:
        return bytes.fromhex(encoded)
    except ValueError:
        raise ExportFormatError(f"region {suffix} (line {node.start_mark.line + 1}): 'encoded' is not hex "
                                f"({encoded[:40]!r})") from None


def _timespan(loader: yaml.SafeLoader, node: yaml.Node) -> Timespan | None:
    """The reference's validity range: a mapping of two times (null: unbounded), or EMPTY (None here)."""
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if value in ("EMPTY", "", None):
            return None
        raise ExportFormatError(f"timespan {value!r} (line {node.start_mark.line + 1}) is not a mapping or EMPTY")
    data = loader.construct_mapping(node)  # type: ignore[arg-type]
    begin, end = data.get("begin"), data.get("end")
    try:
        return Timespan(begin, end)
    except DataIdError as err:
        raise ExportFormatError(f"timespan (line {node.start_mark.line + 1}): {err}") from None


ExportLoader.add_constructor("!uuid", _uuid)
ExportLoader.add_multi_constructor("!butler_time/", _time)
ExportLoader.add_multi_constructor("lsst.sphgeom.", _region)
ExportLoader.add_constructor("!lsst.daf.butler.Timespan", _timespan)


def _represent_uuid(dumper: yaml.SafeDumper, value: uuid.UUID) -> yaml.Node:
    return dumper.represent_scalar("!uuid", str(value))


def _represent_time(dumper: yaml.SafeDumper, value: TaiTime) -> yaml.Node:
    return dumper.represent_scalar("!butler_time/tai/iso", format_tai_iso(value.utc))


def _represent_region(dumper: yaml.SafeDumper, value: EncodedRegion) -> yaml.Node:
    kind = REGION_TAGS[int(value.hex[:2], 16)]
    return dumper.represent_mapping(f"lsst.sphgeom.{kind}", {"encoded": value.hex})


def _represent_timespan(dumper: yaml.SafeDumper, value: Timespan) -> yaml.Node:
    ends = {"begin": None if value.begin is None else TaiTime(value.begin),
            "end": None if value.end is None else TaiTime(value.end)}
    return dumper.represent_mapping("!lsst.daf.butler.Timespan", ends)


ExportDumper.add_representer(uuid.UUID, _represent_uuid)
ExportDumper.add_representer(Timespan, _represent_timespan)
ExportDumper.add_representer(TaiTime, _represent_time)
ExportDumper.add_representer(EncodedRegion, _represent_region)


def region_for_export(value: Region) -> EncodedRegion:
    """``value`` as the reference writes a region: its encoding in hex, tagged with its sphgeom class."""
    return EncodedRegion(encode_region(value).hex())


def load(stream: IO[str], name: str) -> Any:
    """The YAML document in ``stream``; ExportFormatError, naming ``name``, if it is not YAML."""
    try:
        return yaml.load(stream, Loader=ExportLoader)
    except yaml.YAMLError as err:
        raise ExportFormatError(f"{name} is not a readable YAML export file: {err}") from None
    except ExportFormatError as err:  # a tagged value that is not what its tag says
        raise ExportFormatError(f"{name}: {err}") from None


def dump(document: Any, stream: IO[str]) -> None:
    """Write ``document`` as YAML, in order, with the reference's tags."""
    yaml.dump(document, stream, Dumper=ExportDumper, sort_keys=False, default_flow_style=False)
