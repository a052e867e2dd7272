"""Snapshots through the Python API: validate, add, replace, new places, atomicity, concurrency."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import NEW, OLD, OLD_FACTS, fact, metric_rows, tree_digest, write_facts

from redengine.data import db, schema, snapshots, store
from redengine.data.db import Database

DELTA = {
    "district_id": "delta",
    "name_zh": "丁区",
    "name_en": "Delta District",
    "level": "district",
    "city_zh": "丁市",
    "city_en": "Delta City",
    "province_zh": "丁省",
    "province_en": "Delta Province",
}
HOUSING = {
    "metric_id": "housing_units",
    "category": "governance",
    "name_zh": "人才住房套数",
    "name_en": "Talent housing units",
    "unit": "count",
    "description_en": "Housing units for talents.",
}
SRC_D = {
    "source_id": "src_d",
    "title_zh": "丁区报告",
    "title_en": "Delta report",
    "publisher": None,
    "published": None,
    "file": "sources/src_d.txt",
    "period_start": date(2021, 1, 1),
    "period_end": date(2021, 12, 31),
    "period_label": "2021",
    "period_note": None,
}


SRC_D_TEXT = "丁区2021年报告。人才住房3541套。"


def _delta_housing() -> dict:
    return fact("delta", "housing_units", 3541, "3541套", year=2021, source="src_d", quote="人才住房3541套")


def _src_d_text(tmp_path: Path) -> Path:
    (tmp_path / "src_d.txt").write_text(SRC_D_TEXT, encoding="utf-8")
    return tmp_path / "src_d.txt"


def _dimension_file(path: Path, kind: str, rows: list[dict]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema.DIMENSIONS[kind]), path)
    return path


def _revision(tmp_path: Path, name: str = "revision.parquet", members: float = 1100) -> Path:
    rows = [dict(r) for r in OLD_FACTS]
    rows[1] = fact("alpha", "members", members, f"{members:g}名")
    return write_facts(tmp_path / name, rows)


def _manifest(data_dir: Path) -> dict:
    return json.loads(store.manifest_path(data_dir).read_text(encoding="utf-8"))


def test_validate_writes_nothing_and_reports(fixture_dir, tmp_path):
    before = tree_digest(fixture_dir)
    result = snapshots.validate(Database(fixture_dir), _revision(tmp_path))
    assert result.ok
    assert result.rows == 9
    assert result.report().endswith("revision.parquet: valid, 9 figures")
    assert tree_digest(fixture_dir) == before


def test_add_writes_a_checksummed_sorted_file_and_lists_it(fixture_dir, tmp_path):
    database = Database(fixture_dir)
    entry = snapshots.add(database, _revision(tmp_path), "2026-03-01-rev")
    assert entry.id == "2026-03-01-rev"
    assert entry.rows == 9
    assert entry.file.startswith("2026-03-01-rev.") and entry.file.endswith(".parquet")
    path = fixture_dir / "snapshots" / entry.file
    assert store.sha256_file(path) == entry.sha256
    stored = pq.read_table(path)
    assert stored.schema.equals(schema.STORED_FACTS)
    assert set(stored["snapshot_id"].to_pylist()) == {"2026-03-01-rev"}
    keys = list(zip(stored["metric_id"].to_pylist(), stored["district_id"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    by_place = pq.read_table(fixture_dir / "snapshots" / entry.by_place_file)
    assert entry.by_place_file == entry.file.removesuffix(".parquet") + ".by-place.parquet"
    assert store.sha256_file(fixture_dir / "snapshots" / entry.by_place_file) == entry.by_place_sha256
    assert by_place.sort_by(store.FACT_SORT).equals(stored)
    places = list(zip(by_place["district_id"].to_pylist(), by_place["metric_id"].to_pylist(), strict=True))
    assert places == sorted(places)
    listed = _manifest(fixture_dir)["snapshots"]
    assert [s["id"] for s in listed] == [OLD, NEW, "2026-03-01-rev"]
    assert listed[-1]["sha256"] == entry.sha256
    assert listed[-1]["by_place_sha256"] == entry.by_place_sha256


def test_default_id_is_the_file_name(fixture_dir, tmp_path):
    entry = snapshots.add(Database(fixture_dir), _revision(tmp_path, "2026-04-01-q1.parquet"))
    assert entry.id == "2026-04-01-q1"


def test_an_open_database_sees_an_added_snapshot_on_its_next_query(fixture_dir, tmp_path):
    database = Database(fixture_dir)  # as the running app holds it
    version = database.version()
    assert [e.id for e in database.snapshots()] == [OLD, NEW]
    snapshots.add(Database(fixture_dir), _revision(tmp_path), "2026-03-01-rev")
    assert [e.id for e in database.snapshots()] == [OLD, NEW, "2026-03-01-rev"]
    assert database.version() != version
    frame = metric_rows(database, "2026-03-01-rev", "members", ["alpha"])
    assert frame["value"].tolist() == [900, 1100]


def test_an_open_database_sees_a_manifest_change_of_equal_size_and_time(fixture_dir):
    database = Database(fixture_dir)
    assert [e.id for e in database.snapshots()] == [OLD, NEW]
    path = store.manifest_path(fixture_dir)
    status = path.stat()
    entries = store.read_manifest(fixture_dir)
    store.write_manifest(fixture_dir, entries[::-1])  # same bytes, reordered: same size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))  # as a restore with cp -p would
    assert path.stat().st_size == status.st_size
    assert [e.id for e in database.snapshots()] == [NEW, OLD]


def test_a_settled_manifest_is_not_read_again_until_its_status_changes(fixture_dir, monkeypatch):
    database = Database(fixture_dir)
    reads = []
    stamp = database._manifest_stamp
    monkeypatch.setattr(database, "_manifest_stamp", lambda: reads.append(1) or stamp())
    path = store.manifest_path(fixture_dir)
    settled = path.stat().st_ctime_ns + db.RACY_NS + 1
    monkeypatch.setattr(db.time, "time_ns", lambda: settled)
    versions = {database.version() for _ in range(5)}
    assert len(versions) == 1 and len(reads) == 1  # one read, then a stat per call
    store.write_manifest(fixture_dir, store.read_manifest(fixture_dir)[::-1])
    monkeypatch.setattr(db.time, "time_ns", lambda: path.stat().st_ctime_ns)  # within the racy second
    assert [e.id for e in database.snapshots()] == [NEW, OLD]
    assert database.version() not in versions and len(reads) == 3  # read while its change is this recent


def test_replace_keeps_the_old_file_and_an_open_database_sees_the_new_values(fixture_dir, tmp_path):
    database = Database(fixture_dir)
    first = snapshots.add(database, _revision(tmp_path, "a.parquet", 1100), "rev")
    assert database.query("snapshot_summary", snapshot_ids=["rev"])["figures"].tolist() == [9]
    with pytest.raises(snapshots.SnapshotError, match="exists already"):
        snapshots.add(database, _revision(tmp_path, "b.parquet", 1200), "rev")
    # A replacement of the same length, straight after: the manifest's size does not change.
    second = snapshots.add(database, _revision(tmp_path, "b.parquet", 1200), "rev", replace=True)
    assert second.replaces == first.file
    old_path = fixture_dir / "snapshots" / first.file
    assert store.sha256_file(old_path) == first.sha256  # the backup, untouched
    assert [s["id"] for s in _manifest(fixture_dir)["snapshots"]] == [OLD, NEW, "rev"]
    frame = metric_rows(database, "rev", "members", ["alpha"])
    assert frame["value"].tolist() == [900, 1200]


def test_new_places_metrics_and_sources_arrive_with_their_snapshot(fixture_dir, tmp_path):
    database = Database(fixture_dir)
    rows = [*OLD_FACTS, _delta_housing()]
    supplied = {
        "districts": _dimension_file(tmp_path / "d.parquet", "districts", [DELTA]),
        "metrics": _dimension_file(tmp_path / "m.parquet", "metrics", [HOUSING]),
        "sources": _dimension_file(tmp_path / "s.parquet", "sources", [SRC_D]),
    }
    with pytest.raises(snapshots.SnapshotError, match="name districts that are not known"):
        snapshots.add(database, write_facts(tmp_path / "f.parquet", rows), "with-delta")
    with pytest.raises(
        snapshots.SnapshotError, match=r"the report's text is not given.*Fix: add --text PATH/src_d.txt"
    ):
        snapshots.add(database, write_facts(tmp_path / "f.parquet", rows), "with-delta", supplied=supplied)
    plan = snapshots.Plan(texts=(_src_d_text(tmp_path),))
    entry = snapshots.add(
        database, write_facts(tmp_path / "f.parquet", rows), "with-delta", supplied=supplied, plan=plan
    )
    assert (fixture_dir / "sources" / "src_d.txt").read_text(encoding="utf-8") == SRC_D_TEXT
    assert set(entry.extras) == {"districts", "metrics", "sources"}
    for file in entry.extras.values():
        assert (fixture_dir / "snapshots" / file).is_file()
    assert "delta" in set(database.query("dimension_ids", kind="districts")["id"])
    frame = metric_rows(database, "with-delta", "housing_units", ["delta", "alpha"]).set_index("district_id")
    assert frame.loc["delta", "value"] == 3541
    assert frame.loc["delta", "name_en"] == "Delta District"
    assert frame.loc["delta", "source_title_en"] == "Delta report"
    cards = database.query("district_cards", snapshot_id="with-delta").set_index("district_id")
    assert cards.loc["delta", "figures"] == 1
    # A later snapshot may use the new place without supplying it again...
    whole = snapshots.Plan(replace_all=True)
    later = snapshots.add(database, write_facts(tmp_path / "g.parquet", rows[-1:]), "later", plan=whole)
    assert later.extras == {}
    # ...and cannot define it a second time.
    with pytest.raises(snapshots.SnapshotError, match="already exist: delta"):
        snapshots.add(database, write_facts(tmp_path / "h.parquet", rows), "again", supplied=supplied)


def test_a_failed_manifest_write_removes_the_new_files(fixture_dir, tmp_path, monkeypatch):
    before = tree_digest(fixture_dir)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_manifest", fail)
    supplied = {"districts": _dimension_file(tmp_path / "d.parquet", "districts", [DELTA])}
    with pytest.raises(snapshots.SnapshotError, match=r"cannot be written \(disk full\); nothing was added"):
        snapshots.add(Database(fixture_dir), _revision(tmp_path), "rev", supplied=supplied)
    assert tree_digest(fixture_dir) == before


def test_an_interrupted_atomic_write_leaves_the_target_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    target.write_text("old", encoding="utf-8")

    def fail(*args):
        raise OSError("interrupted")

    monkeypatch.setattr(store.os, "replace", fail)
    with pytest.raises(OSError):
        store.atomic_write_bytes(target, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
    assert target.read_text(encoding="utf-8") == "old"


def test_concurrent_adds_all_land(fixture_dir, tmp_path):
    ids = [f"2026-05-0{i}-thread" for i in range(1, 5)]
    files = [_revision(tmp_path, f"{i}.parquet", 1000 + n) for n, i in enumerate(ids)]
    errors = []

    def add(snapshot_id, file):
        try:
            snapshots.add(Database(fixture_dir), file, snapshot_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=pair) for pair in zip(ids, files, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    listed = _manifest(fixture_dir)["snapshots"]
    assert sorted(s["id"] for s in listed) == sorted([OLD, NEW, *ids])
    for entry in listed:
        assert store.sha256_file(fixture_dir / "snapshots" / entry["file"]) == entry["sha256"]
    summary = Database(fixture_dir).query("snapshot_summary", snapshot_ids=ids)
    assert sorted(summary["snapshot_id"]) == sorted(ids)


def test_concurrent_adds_of_the_same_new_place_define_it_once(fixture_dir, tmp_path):
    rows = [fact("delta", "members", 10, "10名", source="src_a")]
    districts = _dimension_file(tmp_path / "d.parquet", "districts", [DELTA])
    outcomes = []

    def add(snapshot_id):
        file = write_facts(tmp_path / f"{snapshot_id}.parquet", rows)
        try:
            plan = snapshots.Plan(amend=snapshots.LATEST)
            snapshots.add(Database(fixture_dir), file, snapshot_id, supplied={"districts": districts}, plan=plan)
            outcomes.append("added")
        except snapshots.SnapshotError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=add, args=(f"d{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("added") == 1
    assert all("already exist: delta" in o for o in outcomes if o != "added")
    ids = Database(fixture_dir).query("dimension_ids", kind="districts")["id"].tolist()
    assert sorted(ids) == ["alpha", "beta", "delta", "gamma"]


def test_the_writers_lock_creates_nothing_in_a_directory_without_snapshots(tmp_path):
    with pytest.raises(store.DataDirError, match="manifest.json is missing"):
        with store.writer_lock(tmp_path):
            pass
    assert list(tmp_path.iterdir()) == []


def test_add_to_a_missing_data_dir_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere"
    write_facts(tmp_path / "f.parquet", OLD_FACTS)
    with pytest.raises(store.DataDirError, match="does not exist"):
        snapshots.add(Database(missing), tmp_path / "f.parquet", "x")
    assert not missing.exists()


# --- the concept layer: old contract, and what validate refuses ------------------------------

OLD_CONTRACT_FACT_COLUMNS = [c for c in schema.FACTS.names if c not in ("period_basis", "scope_zh", "scope_en")]


def test_a_snapshot_written_to_the_old_contract_loads_with_the_documented_defaults(fixture_dir, tmp_path):
    """No period basis or scope in the facts, no concept or measure in a new metric: a whole-place
    figure whose period the text states, of a metric that is a concept of its own, read as a stock."""
    rows = [*OLD_FACTS, _delta_housing()]
    facts = pa.Table.from_pylist(rows).select(OLD_CONTRACT_FACT_COLUMNS)
    pq.write_table(facts, tmp_path / "old.parquet")
    old_metric = {k: v for k, v in HOUSING.items() if k not in ("concept_id", "measure")}
    pq.write_table(pa.Table.from_pylist([old_metric]), tmp_path / "m.parquet")
    supplied = {
        "districts": _dimension_file(tmp_path / "d.parquet", "districts", [DELTA]),
        "metrics": tmp_path / "m.parquet",
        "sources": _dimension_file(tmp_path / "s.parquet", "sources", [SRC_D]),
    }
    database = Database(fixture_dir)
    plan = snapshots.Plan(texts=(_src_d_text(tmp_path),))
    snapshots.add(database, tmp_path / "old.parquet", "old-contract", supplied=supplied, plan=plan)
    frame = metric_rows(database, "old-contract", "housing_units", ["delta"])
    assert frame[["period_basis", "measure"]].to_dict("records") == [{"period_basis": "stated", "measure": "stock"}]
    assert frame["scope_zh"].isna().all()
    concepts = database.query("concept_coverage", snapshot_id="old-contract", category="governance")
    assert concepts.set_index("concept_id").at["housing_units", "name_en"] == "Talent housing units"


BAD_CONCEPT_LAYER = [
    ("facts", {"period_basis": "guessed"}, "column 'period_basis'", "use one of stated, inferred, open"),
    ("facts", {"period_basis": "open"}, "have a start though period_basis is open", "leave period_start empty"),
    ("facts", {"period_start": None}, "are empty though the period is not open", "set period_basis to open"),
    ("facts", {"scope_zh": "南华西街"}, "name a scope in one language only", "in both scope_zh and scope_en"),
    (
        "facts",
        {"scope_zh": "<b>南华西街</b>", "scope_en": "Nanhuaxi"},
        "contain markup",
        "write the name as plain text",
    ),
    ("metrics", {"measure": "amount"}, "column 'measure'", "use one of stock, flow, change_rate"),
    ("metrics", {"concept_id": "no_such_concept"}, "name concepts that are not known", "--concepts FILE"),
    ("metrics", {"concept_id": "Bad Concept"}, "are not safe ids", "lowercase letters"),
    ("metrics", {"concept_id": "members", "unit": "count"}, "put different units under one concept", "split"),
    ("metrics", {"concept_id": "members", "category": "governance"}, "another category than their concept", "put"),
]


@pytest.mark.parametrize(("table", "change", "problem", "fix"), BAD_CONCEPT_LAYER, ids=lambda v: str(v)[:40])
def test_validate_explains_a_bad_concept_layer_and_add_changes_nothing(
    fixture_dir, tmp_path, table, change, problem, fix
):
    new_metric = HOUSING | {"concept_id": None, "measure": "stock"}
    rows = [*OLD_FACTS, fact("alpha", "housing_units", 12, "12套")]
    if table == "facts":
        rows[0] = rows[0] | change
    else:
        new_metric |= change
    supplied = {"metrics": _dimension_file(tmp_path / "m.parquet", "metrics", [new_metric])}
    file = write_facts(tmp_path / "bad.parquet", rows)
    database = Database(fixture_dir)
    result = snapshots.validate(database, file, supplied)
    text = "\n".join(result.problems)
    assert problem in text and fix in text, text
    assert "row 1" in text  # where: the first offending row
    before = tree_digest(fixture_dir)
    with pytest.raises(snapshots.SnapshotError):
        snapshots.add(database, file, "bad", supplied=supplied)
    assert tree_digest(fixture_dir) == before
