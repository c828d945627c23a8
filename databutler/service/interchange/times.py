"""TAI times (the reference writes times as TAI) to and from databutler's UTC datetimes.

TAI runs ahead of UTC by a whole number of seconds that grows at each leap second; the table
below is the IERS record since 1972 (before 1972 the offset drifted by fractions of a second;
those times are taken with the 1972 offset of 10 s). Python datetimes hold microseconds: the
nanoseconds of a reference time are cut to microseconds on the way in.
"""

from __future__ import annotations

import datetime
import re

from ...domain.errors import ExportFormatError

_LEAP_SECONDS: tuple[tuple[datetime.datetime, int], ...] = tuple(
    (datetime.datetime(year, month, 1), offset) for year, month, offset in (
        (1972, 1, 10), (1972, 7, 11), (1973, 1, 12), (1974, 1, 13), (1975, 1, 14), (1976, 1, 15),
        (1977, 1, 16), (1978, 1, 17), (1979, 1, 18), (1980, 1, 19), (1981, 7, 20), (1982, 7, 21),
        (1983, 7, 22), (1985, 7, 23), (1988, 1, 24), (1990, 1, 25), (1991, 1, 26), (1992, 7, 27),
        (1993, 7, 28), (1994, 7, 29), (1996, 1, 30), (1997, 7, 31), (1999, 1, 32), (2006, 1, 33),
        (2009, 1, 34), (2012, 7, 35), (2015, 7, 36), (2017, 1, 37),
    ))
"""(UTC instant from which it holds, TAI - UTC in seconds)."""

_ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?$")


def _offset_at_utc(utc: datetime.datetime) -> int:
    for start, offset in reversed(_LEAP_SECONDS):
        if utc >= start:
            return offset
    return _LEAP_SECONDS[0][1]


def utc_to_tai(utc: datetime.datetime) -> datetime.datetime:
    """The TAI reading of naive UTC datetime ``utc``."""
    return utc + datetime.timedelta(seconds=_offset_at_utc(utc))


def tai_to_utc(tai: datetime.datetime) -> datetime.datetime:
    """The naive UTC datetime of TAI reading ``tai`` (a leap second itself maps to the next second)."""
    for start, offset in reversed(_LEAP_SECONDS):
        if tai >= start + datetime.timedelta(seconds=offset):
            return tai - datetime.timedelta(seconds=offset)
    return tai - datetime.timedelta(seconds=_LEAP_SECONDS[0][1])


def parse_tai_iso(text: str) -> datetime.datetime:
    """``'2013-06-17 13:34:45.775000000'`` (TAI, as the reference writes it) as a naive UTC datetime."""
    return tai_to_utc(parse_iso(text))


def parse_iso(text: str) -> datetime.datetime:
    """An ISO time with up to nanoseconds as a naive datetime on the same scale (cut to microseconds)."""
    match = _ISO.match(text.strip())
    if match is None:
        raise ExportFormatError(f"{text!r} is not an ISO time such as '2013-06-17 13:34:45.775000000'")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    try:
        reading = datetime.datetime(year, month, day, hour, minute, min(second, 59), int(fraction))
    except ValueError as err:
        raise ExportFormatError(f"{text!r} is not a valid time: {err}") from None
    if second == 60:  # only a UTC reading during a leap second shows :60
        reading += datetime.timedelta(seconds=1)
    return reading


def format_tai_iso(utc: datetime.datetime) -> str:
    """Naive UTC datetime ``utc`` as the reference's TAI ISO text, with nanoseconds."""
    tai = utc_to_tai(utc)
    return tai.strftime("%Y-%m-%d %H:%M:%S.") + f"{tai.microsecond:06d}000"
