"""`redengine snapshot export`: a data package that Frictionless validates and that re-imports to the snapshot."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import BIN, BUNDLED, DATA_DIR, NEW, OLD, tree_digest
from frictionless import Package

from redengine.data import store

# Text that may look like numbers ("2020") stays text when a CSV is read back.
TEXT_COLUMNS = {
    column: "str" for column in ("period_label", "value_as_written", "quote", "note", "scope_zh", "scope_en")
}


def export(snapshot_id: str, out: Path, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(BIN)} | ({store.DATA_DIR_ENV: str(data_dir)} if data_dir else {})
    return subprocess.run(
        [str(BIN / "redengine"), "snapshot", "export", snapshot_id, str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def stored_facts(data_dir: Path, snapshot_id: str) -> pd.DataFrame:
    """The snapshot's rows read straight from its file, as the manifest lists it."""
    entry = next(e for e in store.read_manifest(data_dir) if e.id == snapshot_id)
    return pq.read_table(data_dir / "snapshots" / entry.file).to_pandas()


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    key = ["district_id", "metric_id", "period_start", "period_end"]
    # dates as ISO text: the CSV, the Parquet file and the stored snapshot agree on them, and on an
    # open period's empty start, whatever resolution each reader gives a timestamp
    frame = frame.assign(
        **{column: pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d") for column in ("period_start", "period_end")}
    )
    return frame.sort_values(key).reset_index(drop=True)[sorted(frame.columns)]


@pytest.fixture(scope="module")
def bundled_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / f"{BUNDLED}.zip"
    result = export(BUNDLED, out)
    assert result.returncode == 0, result.stderr
    return out


def test_the_package_passes_frictionless_validation(bundled_zip, tmp_path):
    with zipfile.ZipFile(bundled_zip) as archive:
        archive.extractall(tmp_path)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {task.name for task in report.tasks} == {"facts", "districts", "concepts", "metrics", "sources"}


def test_the_package_reimports_to_the_snapshot_rows(bundled_zip):
    expected = by_key(stored_facts(DATA_DIR, BUNDLED))
    with zipfile.ZipFile(bundled_zip) as archive:
        from_csv = pd.read_csv(io.BytesIO(archive.read("facts.csv")), dtype=TEXT_COLUMNS)
        from_parquet = pq.read_table(io.BytesIO(archive.read("facts.parquet"))).to_pandas()
        districts = pd.read_csv(io.BytesIO(archive.read("districts.csv")))
    pd.testing.assert_frame_equal(by_key(from_parquet), expected, check_dtype=False)
    pd.testing.assert_frame_equal(by_key(from_csv), expected, check_dtype=False)
    assert sorted(districts["district_id"]) == sorted(
        pq.read_table(DATA_DIR / "districts.parquet")["district_id"].to_pylist()
    )


def test_the_package_names_the_snapshot_licence_sources_and_how_to_cite(bundled_zip):
    entry = next(e for e in store.read_manifest(DATA_DIR) if e.id == BUNDLED)
    with zipfile.ZipFile(bundled_zip) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
        citation = archive.read("CITATION.cff").decode("utf-8")
        names = set(archive.namelist())
    assert descriptor["snapshot"] == {"id": entry.id, "sha256": entry.sha256, "rows": entry.rows, "added": entry.added}
    assert descriptor["licenses"][0]["name"]
    reports = pq.read_table(DATA_DIR / "sources.parquet").num_rows
    assert len(descriptor["sources"]) == reports and all(s["path"] in names for s in descriptor["sources"])
    facts = next(r for r in descriptor["resources"] if r["name"] == "facts")
    fields = {f["name"]: f for f in facts["schema"]["fields"]}
    assert fields["value"]["type"] == "number" and fields["period_start"]["type"] == "date"
    assert all(field.get("description") for field in fields.values())
    assert f'version: "{entry.id}"' in citation and entry.sha256 in citation and "cff-version:" in citation


def test_exporting_twice_writes_the_same_bytes(bundled_zip, tmp_path):
    again = tmp_path / "again.zip"
    assert export(BUNDLED, again).returncode == 0
    assert again.read_bytes() == bundled_zip.read_bytes()


def test_each_snapshot_of_a_directory_exports_its_own_rows(fixture_dir, tmp_path):
    for snapshot_id in (OLD, NEW):
        out = tmp_path / f"{snapshot_id}.zip"
        assert export(snapshot_id, out, fixture_dir).returncode == 0
        with zipfile.ZipFile(out) as archive:
            exported = pq.read_table(io.BytesIO(archive.read("facts.parquet"))).to_pandas()
        pd.testing.assert_frame_equal(
            by_key(exported), by_key(stored_facts(fixture_dir, snapshot_id)), check_dtype=False
        )


@pytest.mark.parametrize("snapshot_id, out_name, said", [("nope", "x.zip", "Fix: use one of"), (OLD, "x.txt", "Fix:")])
def test_a_bad_export_is_refused_and_writes_nothing(fixture_dir, tmp_path, snapshot_id, out_name, said):
    before = tree_digest(fixture_dir)
    result = export(snapshot_id, tmp_path / out_name, fixture_dir)
    assert result.returncode == 2
    assert said in result.stderr
    assert not (tmp_path / out_name).exists()
    assert tree_digest(fixture_dir) == before
