"""The hashing reader of large artifacts: parsers may seek back and ahead and the bytes are still hashed once."""

from __future__ import annotations

import hashlib
import io

from databutler.adapters.files.verifying_reader import MAX_GAP, VerifyingReader

DATA = bytes(range(256)) * 40


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def test_rereading_and_seeking_ahead_without_reading_keep_one_pass_of_hashing() -> None:
    reader = VerifyingReader(io.BytesIO(DATA), "sha256")
    reader.seek(0, 2)  # how big is it? (astropy asks)
    reader.seek(0)
    assert reader.read(80) == DATA[:80]
    reader.seek(0)
    assert reader.read(2880) == DATA[:2880]  # read again, longer
    reader.seek(9000)  # ahead, no read
    reader.seek(2880)
    buffer = bytearray(3000)
    assert reader.readinto(buffer) == 3000 and bytes(buffer) == DATA[2880:5880]
    assert reader.finish() == sha256(DATA)


def test_a_small_skip_is_read_and_hashed_and_a_large_one_gives_up_hashing() -> None:
    reader = VerifyingReader(io.BytesIO(DATA), "sha256")
    reader.read(100)
    reader.seek(200)  # padding skipped
    assert reader.read(10) == DATA[200:210]
    assert reader.finish() == sha256(DATA)
    big = DATA * 20
    reader = VerifyingReader(io.BytesIO(big), "sha256")
    reader.read(100)
    reader.seek(100 + MAX_GAP + 1)
    reader.read(10)
    assert reader.finish() is None
