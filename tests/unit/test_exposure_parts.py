"""An Exposure written in parts (``disassemble: true``): six files, reassembled equal, read like a whole file.

Each read of a disassembled Exposure is compared with the same read of the same Exposure stored
whole (one FITS file), which is the answer it owes; the parts a read opens are recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import make_datastore as make_objectstore
from databutler.adapters.posix import make_datastore as make_posix
from databutler.domain import StorageClassRegistry
from databutler.domain.errors import StorageClassError
from databutler.ports.datastore import Datastore, ReadRequest
from databutler.testing.datastore_support import make_ref
from databutler.testing.formatter import assert_same
from databutler.testing.s3 import S3Fixtures

np = pytest.importorskip("numpy")
pytest.importorskip("astropy", reason="astropy (databutler[fits]) is not installed")

from astropy.wcs import WCS  # noqa: E402

from databutler.adapters.formats.exposure import Exposure  # noqa: E402

BOX = (100, 200, 113, 209)
CUTS = [(102, 203, 107, 209), BOX, (112, 208, 113, 209), [100, 200, 101, 209]]
BAD = [(99, 200, 105, 205), (100, 200, 114, 209), (105, 205, 105, 206), (1, 2, 3), ("a", 0, 1, 1)]


def exposure(with_wcs: bool = True) -> Exposure:
    """A 9 x 13 Exposure at ``BOX`` in its parent frame."""
    image = np.arange(9 * 13, dtype="float32").reshape(9, 13) * 1.5
    wcs = None
    if with_wcs:
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.crpix = [6.5, 4.25]
        wcs.wcs.crval = [150.1, 2.2]
        wcs.wcs.cd = [[-5.5e-5, 1e-7], [2e-7, 5.5e-5]]
    return Exposure(image, (image % 7).astype("int32"), image * 0.25, wcs=wcs,
                    metadata={"EXPTIME": 30.5, "FILTER": "HSC-R", "COMMENT": ["a", "b"]}, bbox=BOX)


class Reads:
    """Records the part of each artifact a datastore reads (``None`` for a whole file)."""

    def __init__(self, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.components: list[str | None] = []
        original = store._read_artifact

        def spy(request: ReadRequest, artifact: Any, component: str | None, partial: bool) -> Any:
            self.components.append(artifact.component)
            return original(request, artifact, component, partial)

        monkeypatch.setattr(store, "_read_artifact", spy)

    def take(self) -> list[str | None]:
        taken, self.components = self.components, []
        return taken


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Datastore, Datastore]:
    """A posix datastore writing parts and one writing whole files."""
    def make(name: str, disassemble: bool) -> Datastore:
        return make_posix({"adapter": "posix", "root": str(tmp_path / name), "disassemble": disassemble},
                          storage_classes=StorageClassRegistry(), formatters=default_formatter_set(), create=True,
                          writeable=True)
    return make("parts", True), make("whole", False)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def get(store: Datastore, ref: Any, artifacts: Any, parameters: Any = None, component: str | None = None) -> Any:
    return store.get([ReadRequest(ref, artifacts, parameters, component)])[0]


def test_an_exposure_is_six_files_and_reads_back_equal(stores: tuple[Datastore, Datastore], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    parts, _ = stores
    ref = make_ref("Exposure", visit=3)
    artifacts = parts.put([(exposure(), ref)])
    assert [(a.component, a.formatter) for a in artifacts] == [
        ("bbox", "box"), ("image", "npy"), ("mask", "npy"), ("metadata", "json"), ("variance", "npy"),
        ("wcs", "wcs-header")]
    assert sorted(Path(name).name.split(".", 1)[1] for name in files(tmp_path / "parts")) == [
        "bbox.json", "image.npy", "mask.npy", "metadata.json", "variance.npy", "wcs.hdr"]
    reads = Reads(parts, monkeypatch)
    assert get(parts, ref, artifacts) == exposure()
    assert sorted(reads.take()) == ["bbox", "image", "mask", "metadata", "variance", "wcs"]
    assert_same(get(parts, ref, artifacts, component="wcs"), exposure().wcs)
    assert reads.take() == ["wcs"]
    bbox = get(parts, ref, artifacts, component="bbox")
    assert bbox == BOX and type(bbox) is tuple
    assert reads.take() == ["bbox"]
    assert_same(get(parts, ref, artifacts, component="mask"), exposure().mask)
    assert reads.take() == ["mask"]


@pytest.mark.parametrize("cut", CUTS)
def test_a_bbox_read_equals_the_whole_file_answer(stores: tuple[Datastore, Datastore], cut: Any) -> None:
    parts, whole = stores
    ref = make_ref("Exposure")
    in_parts, in_one = parts.put([(exposure(), ref)]), whole.put([(exposure(), ref)])
    expected = get(whole, ref, in_one, {"bbox": cut})
    got = get(parts, ref, in_parts, {"bbox": cut})
    assert got == expected and got.bbox == tuple(cut) and got.image.shape == expected.image.shape
    for component in ("image", "wcs", "bbox", "metadata"):
        assert_same(get(parts, ref, in_parts, {"bbox": cut}, component),
                    get(whole, ref, in_one, {"bbox": cut}, component), component)


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_bbox_is_refused_as_on_a_whole_file_and_changes_nothing(stores: tuple[Datastore, Datastore],
                                                                     tmp_path: Path, bad: Any) -> None:
    parts, whole = stores
    ref = make_ref("Exposure")
    in_parts, in_one = parts.put([(exposure(), ref)]), whole.put([(exposure(), ref)])
    before = files(tmp_path / "parts")
    with pytest.raises(StorageClassError):
        get(whole, ref, in_one, {"bbox": bad})
    with pytest.raises(StorageClassError):
        get(parts, ref, in_parts, {"bbox": bad})
    with pytest.raises(StorageClassError):
        get(parts, ref, in_parts, {"bbox": bad}, "image")
    assert files(tmp_path / "parts") == before  # every part is still there, unchanged, and reads back whole
    assert get(parts, ref, in_parts) == exposure()


def test_an_exposure_without_a_wcs_has_no_wcs_part(stores: tuple[Datastore, Datastore],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    parts, whole = stores
    ref = make_ref("Exposure")
    artifacts = parts.put([(exposure(with_wcs=False), ref)])
    assert sorted(a.component or "" for a in artifacts) == ["bbox", "image", "mask", "metadata", "variance"]
    reads = Reads(parts, monkeypatch)
    assert get(parts, ref, artifacts, component="wcs") is None
    assert reads.take() == []
    assert get(parts, ref, artifacts, {"bbox": CUTS[0]}) == get(whole, ref, whole.put([(exposure(False), ref)]),
                                                                {"bbox": CUTS[0]})


def test_an_exposure_that_does_not_fit_together_writes_nothing(stores: tuple[Datastore, Datastore],
                                                               tmp_path: Path) -> None:
    parts, _ = stores
    broken = exposure()
    object.__setattr__(broken, "mask", broken.mask.astype("float32"))  # a float mask: refused by Exposure.check
    with pytest.raises(StorageClassError, match="mask"):
        parts.put([(broken, make_ref("Exposure"))])
    assert files(tmp_path / "parts") == {}


class TestObjectStore(S3Fixtures):
    @pytest.fixture
    def store(self, s3_bucket: str) -> Iterator[Callable[[bool], Datastore]]:
        def make(disassemble: bool) -> Datastore:
            return make_objectstore({"adapter": "objectstore", "root": f"{s3_bucket}/s-{uuid.uuid4().hex[:8]}",
                                     "disassemble": disassemble}, storage_classes=StorageClassRegistry(),
                                    formatters=default_formatter_set(), create=True, writeable=True)
        yield make

    def test_an_exposure_in_parts_on_an_object_store(self, store: Callable[[bool], Datastore]) -> None:
        parts, whole = store(True), store(False)
        ref = make_ref("Exposure")
        artifacts, in_one = parts.put([(exposure(), ref)]), whole.put([(exposure(), ref)])
        assert len(artifacts) == 6 and len(list(parts.list_artifacts())) == 6
        assert get(parts, ref, artifacts) == exposure()
        assert get(parts, ref, artifacts, component="bbox") == BOX
        assert get(parts, ref, artifacts, {"bbox": CUTS[0]}) == get(whole, ref, in_one, {"bbox": CUTS[0]})
        with pytest.raises(StorageClassError):
            get(parts, ref, artifacts, {"bbox": BAD[0]})
        assert len(list(parts.list_artifacts())) == 6


def test_without_astropy_the_wcs_formatter_names_the_fits_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from databutler.domain.errors import FormatterError

    formatter, storage_class = default_formatter_set().by_name("wcs-header"), StorageClassRegistry()["Wcs"]
    stream = io.BytesIO()
    formatter.write(exposure().wcs, stream, storage_class)
    wcs = exposure().wcs
    for module in [name for name in sys.modules if name == "astropy" or name.startswith("astropy.")]:
        monkeypatch.setitem(sys.modules, module, None)  # what an environment without astropy looks like
    with pytest.raises(FormatterError, match=r"pip install 'databutler\[fits\]'"):
        formatter.read_full(io.BytesIO(stream.getvalue()), storage_class)
    empty = io.BytesIO()
    with pytest.raises(FormatterError, match=r"pip install 'databutler\[fits\]'"):
        formatter.write(wcs, empty, storage_class)
    assert empty.getvalue() == b""  # nothing written
    assert default_formatter_set().for_storage_class("Box").read_full(io.BytesIO(b"[0, 0, 2, 3]"),
                                                                     StorageClassRegistry()["Box"]) == (0, 0, 2, 3)


def test_a_sip_distortion_survives_the_wcs_part() -> None:
    import io

    from databutler.testing.formatter import SAMPLES

    (sample,) = [s for s in SAMPLES if s.id == "Wcs-tan-sip"]
    wcs, formatter = sample.make(), default_formatter_set().by_name("wcs-header")
    stream = io.BytesIO()
    formatter.write(wcs, stream, StorageClassRegistry()["Wcs"])
    again = formatter.read_full(io.BytesIO(stream.getvalue()), StorageClassRegistry()["Wcs"])
    assert again.sip is not None and np.allclose(again.sip.a, wcs.sip.a) and np.allclose(again.sip.b, wcs.sip.b)
    assert np.allclose(again.pixel_to_world_values(7.0, 9.0), wcs.pixel_to_world_values(7.0, 9.0), atol=1e-12)
