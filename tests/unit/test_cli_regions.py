"""Regions on the command line: tables give them as the hex of their encoding; output shows them the same way."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from lsst import sphgeom

from databutler import Butler
from databutler.cli.main import cli

BOX = sphgeom.Box.fromDegrees(10, 20, 11, 21)


def test_regions_go_in_as_hex_come_out_as_hex_and_bad_text_is_refused(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "repo") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    table = tmp_path / "visits.csv"
    table.write_text(f"instrument,id,region\nCam1,1,{bytes(BOX.encode()).hex()}\n")
    done = CliRunner().invoke(cli, ["insert-data-units", str(tmp_path / "repo"), "visit", str(table)])
    assert done.exit_code == 0, done.output
    with Butler(tmp_path / "repo") as butler:
        assert butler.registry.fetch_data_unit_records("visit")[0]["region"] == BOX

    bad = tmp_path / "bad.csv"
    bad.write_text("instrument,id,region\nCam1,2,somewhere\n")
    refused = CliRunner().invoke(cli, ["insert-data-units", str(tmp_path / "repo"), "visit", str(bad)])
    assert refused.exit_code != 0 and "region" in refused.output
    with Butler(tmp_path / "repo") as butler:
        assert [r["id"] for r in butler.registry.fetch_data_unit_records("visit")] == [1]  # nothing added

    shown = CliRunner().invoke(cli, ["query-data-units", str(tmp_path / "repo"), "visit", "-f", "json",
                                     "--where", "visit.region OVERLAPS POINT(10.5, 20.5)"])
    assert shown.exit_code == 0, shown.output
    assert [r["region"] for r in json.loads(shown.output)] == [bytes(BOX.encode()).hex()]
