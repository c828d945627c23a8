"""Exposures through the Butler: put, then get whole, cut by ``bbox`` and by component, on files and on S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("astropy")
from astropy.wcs import WCS  # noqa: E402

from databutler import Butler, DatasetType  # noqa: E402
from databutler.adapters.formats import Exposure  # noqa: E402
from databutler.domain import StorageClassError  # noqa: E402
from databutler.testing.s3 import S3Fixtures, S3Server, s3_filesystem  # noqa: E402

CUT = (1100, 2050, 1110, 2060)
"""A 10 x 10 box of the parent frame inside the exposure's (1000, 2000, 1512, 2512)."""


def exposure(size: int = 512) -> Exposure:
    image = np.random.default_rng(5).normal(100.0, 5.0, (size, size)).astype("float32")
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [size / 2, size / 2]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.cdelt = [-5.5e-5, 5.5e-5]
    return Exposure(image, (image > 110).astype("int16"), image / 4, wcs=wcs,
                    metadata={"EXPTIME": 30.0, "FILTER": "r"}, bbox=(1000, 2000, 1000 + size, 2000 + size))


def new_butler(root: Path, config: dict[str, Any] | None = None) -> Butler:
    butler = Butler.create(root, config, run="run") if config else Butler.create(root, run="run")
    butler.registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": 1}])
    butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "detector"), "Exposure"))
    return butler


def check_reads(butler: Butler, whole: Exposure) -> None:
    data_id = {"instrument": "Cam", "detector": 1}
    assert butler.get("calexp", data_id) == whole
    cut = butler.get("calexp", data_id, parameters={"bbox": CUT})
    assert cut == whole.cutout(CUT) and cut.bbox == CUT and cut.image.shape == (10, 10)
    np.testing.assert_array_equal(butler.get("calexp", data_id, component="mask"), whole.mask)
    np.testing.assert_array_equal(butler.get("calexp", data_id, parameters={"bbox": CUT}, component="variance"),
                                  whole.variance[50:60, 100:110])
    assert butler.get("calexp", data_id, component="metadata") == {"EXPTIME": 30.0, "FILTER": "r"}
    assert butler.get("calexp", data_id, component="bbox") == (1000, 2000, 1512, 2512)
    assert butler.get("calexp", data_id, parameters={"bbox": CUT}, component="bbox") == CUT
    sky = butler.get("calexp", data_id, parameters={"bbox": CUT}, component="wcs").pixel_to_world(0, 0)
    assert sky.separation(whole.wcs.pixel_to_world(100, 50)).arcsec < 1e-6


def check_refusals(butler: Butler, whole: Exposure) -> None:
    data_id = {"instrument": "Cam", "detector": 1}
    with pytest.raises(StorageClassError, match="not inside the image"):
        butler.get("calexp", data_id, parameters={"bbox": (0, 0, 10, 10)})
    with pytest.raises(StorageClassError, match="holds no pixels"):
        butler.get("calexp", data_id, parameters={"bbox": (1110, 2050, 1100, 2060)})
    with pytest.raises(StorageClassError, match="no component 'psf'"):
        butler.get("calexp", data_id, component="psf")
    with pytest.raises(StorageClassError):
        butler.put(whole.image, "calexp", instrument="Cam", detector=2)
    assert butler.get("calexp", data_id) == whole, "refused reads and puts change nothing"
    assert [ref.data_id["detector"] for ref in butler.query_datasets("calexp")] == [1]


def test_exposure_put_and_get_by_bbox_and_component_on_posix(tmp_path: Path) -> None:
    butler = new_butler(tmp_path / "repo")
    butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": 2}])
    whole = exposure()
    ref = butler.put(whole, "calexp", instrument="Cam", detector=1)
    assert butler.uri(ref).endswith(".fits")
    check_reads(butler, whole)
    check_refusals(butler, whole)


def test_an_exposure_in_parts_reads_as_one_fits_file_through_the_butler(tmp_path: Path) -> None:
    butler = new_butler(tmp_path / "repo", {"datastore": {"adapter": "posix", "root": "{root}/datasets",
                                                          "disassemble": True}})
    butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": 2}])
    whole = exposure()
    butler.put(whole, "calexp", instrument="Cam", detector=1)
    assert len(list((tmp_path / "repo" / "datasets").rglob("*.*"))) == 6
    check_reads(butler, whole)
    check_refusals(butler, whole)


class TestExposureOnS3(S3Fixtures):
    def test_exposure_put_and_get_by_bbox_and_component(self, s3_bucket: str, tmp_path: Path) -> None:
        butler = new_butler(tmp_path / "repo", {"datastore": {"adapter": "objectstore", "root": f"{s3_bucket}/repo"}})
        butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": 2}])
        whole = exposure()
        butler.put(whole, "calexp", instrument="Cam", detector=1)
        check_reads(butler, whole)
        check_refusals(butler, whole)

    def test_a_cut_and_a_header_component_fetch_a_fraction_of_the_object(
            self, s3_bucket: str, tmp_path: Path, s3_server: S3Server) -> None:
        config = {"datastore": {"adapter": "objectstore", "root": f"{s3_bucket}/repo",
                                "partial_read_block_size": 64 << 10}}
        butler = new_butler(tmp_path / "repo", config)
        whole = exposure(1024)  # 4 MiB image, 2 MiB mask, 4 MiB variance
        ref = butler.put(whole, "calexp", instrument="Cam", detector=1)
        key = butler.uri(ref).removeprefix(s3_bucket)
        size = s3_filesystem().size(butler.uri(ref))
        since = len(s3_server.log)
        cut = butler.get("calexp", instrument="Cam", detector=1, parameters={"bbox": CUT})
        assert cut == whole.cutout(CUT)
        fetched = s3_server.bytes_sent(key, since)
        assert 0 < fetched < size // 10, f"a 10 x 10 cut fetched {fetched} bytes of a {size}-byte object"
        print(f"a 10 x 10 cut fetched {fetched} bytes of a {size}-byte object")
        assert all(r.range for r in s3_server.log[since:] if r.method == "GET" and r.path.endswith(key))
        since = len(s3_server.log)
        assert butler.get("calexp", instrument="Cam", detector=1, component="metadata") == whole.metadata
        assert 0 < s3_server.bytes_sent(key, since) <= (64 << 10) + 2880  # one range, and astropy's first card

    def test_a_streamed_whole_read_fetches_the_object_once_and_verifies_it(
            self, s3_bucket: str, tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
        import databutler.adapters.objectstore.datastore as objectstore_module

        monkeypatch.setattr(objectstore_module, "IN_MEMORY_LIMIT", 1024)  # every artifact is streamed
        butler = new_butler(tmp_path / "repo", {"datastore": {"adapter": "objectstore", "root": f"{s3_bucket}/repo"}})
        whole = exposure(256)
        ref = butler.put(whole, "calexp", instrument="Cam", detector=1)
        key = butler.uri(ref).removeprefix(s3_bucket)
        since = len(s3_server.log)
        assert butler.get(ref) == whole
        # astropy seeks back and ahead while it parses; the hashing reader still sees each byte once
        assert s3_server.bytes_sent(key, since) == s3_filesystem().size(butler.uri(ref))
