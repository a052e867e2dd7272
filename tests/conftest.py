"""Shared fixtures: the bundled data directory, a small fixture data directory built here
with the store and schema helpers, and helpers to checksum a directory and write snapshots.

The fixture directory holds three places, six metrics (one category with no figures at
all) and two snapshots whose differences are known: OLD → NEW adds one figure, removes
one and revises two.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import streamlit as st
from hypothesis.configuration import set_hypothesis_home_dir
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import app_test as app_test_module

from redengine.data import schema, store

# Hypothesis keeps caches in .hypothesis/ under the working directory; keep the repo clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "redengine-hypothesis")

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
BIN = Path(sys.executable).parent
BUNDLED = "2026-11-23-curated"
OLD = "2026-01-01-old"
NEW = "2026-02-01-new"

DISTRICTS = [
    {
        "district_id": "alpha",
        "name_zh": "甲区",
        "name_en": "Alpha District",
        "level": "district",
        "city_zh": "甲市",
        "city_en": "Alpha City",
        "province_zh": "甲省",
        "province_en": "Alpha Province",
    },
    {
        "district_id": "beta",
        "name_zh": "乙市",
        "name_en": "Beta City",
        "level": "city",
        "city_zh": "乙市",
        "city_en": "Beta City",
        "province_zh": "乙省",
        "province_en": "Beta Province",
    },
    {
        "district_id": "gamma",
        "name_zh": "丙区",
        "name_en": "Gamma District",
        "level": "district",
        "city_zh": "甲市",
        "city_en": "Alpha City",
        "province_zh": "甲省",
        "province_en": "Alpha Province",
    },
]


def _metric(metric_id, category, name_zh, name_en, unit, measure="stock"):
    return {
        "metric_id": metric_id,
        "category": category,
        "name_zh": name_zh,
        "name_en": name_en,
        "unit": unit,
        "concept_id": metric_id,
        "measure": measure,
        "description_en": f"{name_en} (fixture).",
    }


METRICS = [
    _metric("members", "organizations", "党员人数", "Party members", "people"),
    _metric("branches", "organizations", "党支部数", "Party branches", "count"),
    _metric("volunteers", "volunteers", "志愿者人数", "Volunteers", "people"),
    _metric("investment", "investment", "招商引资总额", "Investment attracted", "CNY", "flow"),
    _metric("gdp_growth", "economy", "地区生产总值增长", "GDP growth", "percent", "change_rate"),
    _metric("centers", "service_centers", "服务中心数", "Service centres", "count"),
]

# One concept per metric: what a researcher lines up is each metric itself.
CONCEPTS = [
    {k: m[k] for k in ("category", "name_zh", "name_en", "description_en")} | {"concept_id": m["metric_id"]}
    for m in METRICS
]

SOURCE_TEXTS = {
    "src_a": "甲区2020年报告。全区党员1000名,2019年为900名。党支部2018年10个、2019年12个、2020年15个。志愿者500名。"
    # figures the tests revise or add: each is quoted from here, as the provenance rules want
    "修订后党员"
    + "、".join(f"{n}名" for n in (*range(1001, 1010), 1100, 1200, 1300, *range(2000, 2008)))
    + "。丁区党员321名、10名。",
    "src_b": "乙市与丙区2020年报告。乙市党员2000名,后核实为2100名。乙市招商引资15亿元,"
    "约15亿元。丙区GDP增长7.5%。丙区志愿者300名。丙区党支部4个。乙市党员再核实为2200名。",
}

SOURCES = [
    {
        "source_id": "src_a",
        "title_zh": "甲区报告",
        "title_en": "Alpha report",
        "publisher": "Fixture Daily",
        "published": date(2021, 1, 15),
        "file": "sources/src_a.txt",
        "period_start": date(2018, 1, 1),
        "period_end": date(2020, 12, 31),
        "period_label": "2018–2020",
        "period_note": None,
    },
    {
        "source_id": "src_b",
        "title_zh": "乙丙报告",
        "title_en": "Beta and Gamma report",
        "publisher": None,
        "published": None,
        "file": "sources/src_b.txt",
        "period_start": date(2020, 1, 1),
        "period_end": date(2020, 12, 31),
        "period_label": "2020",
        "period_note": "Year inferred.",
    },
]


def quote_of(source: str, written: str) -> str:
    """The clause of a fixture source that ends with the figure (as a curator quotes it), or an invented
    sentence when the source does not print it (which the provenance rules refuse)."""
    text = SOURCE_TEXTS.get(source, "")
    end = text.find(written)
    if end < 0:
        return f"invented: {written}"
    start = max(text.rfind(mark, 0, end) for mark in "。,、") + 1
    return text[start : end + len(written)]


def fact(district, metric, value, written, *, year=2020, qualifier="exact", source=None, quote=None):
    """One fact row in the analysts' format (no snapshot_id), quoted from its fixture source."""
    source = source or ("src_a" if district == "alpha" else "src_b")
    return {
        "district_id": district,
        "metric_id": metric,
        "value": float(value),
        "qualifier": qualifier,
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "period_label": str(year),
        "period_basis": "stated",
        "scope_zh": None,
        "scope_en": None,
        "value_as_written": written,
        "source_id": source,
        "quote": quote or quote_of(source, written),
        "note": None,
    }


OLD_FACTS = [
    fact("alpha", "members", 900, "900名", year=2019),
    fact("alpha", "members", 1000, "1000名"),
    fact("beta", "members", 2000, "2000名"),
    fact("alpha", "branches", 10, "10个", year=2018),
    fact("alpha", "branches", 12, "12个", year=2019),
    fact("alpha", "branches", 15, "15个"),
    fact("alpha", "volunteers", 500, "500名"),
    fact("beta", "investment", 1.5e9, "15亿元"),
    fact("gamma", "gdp_growth", 7.5, "7.5%"),
]
NEW_FACTS = [
    fact("alpha", "members", 900, "900名", year=2019),
    fact("alpha", "members", 1000, "1000名"),
    fact("beta", "members", 2100, "2100名"),  # revised value
    fact("alpha", "branches", 10, "10个", year=2018),
    fact("alpha", "branches", 12, "12个", year=2019),
    fact("alpha", "branches", 15, "15个"),
    fact("gamma", "volunteers", 300, "300名"),  # added; alpha volunteers removed
    fact("beta", "investment", 1.5e9, "约15亿元", qualifier="approx"),  # revised qualifier
    fact("gamma", "gdp_growth", 7.5, "7.5%"),
]


def metric_rows(database, snapshot_id: str, metric_id: str, district_ids: list[str]):
    """One metric's figures for the places, in their order (a place not reporting: a null row).

    In the fixture, and for metrics supplied without a concept, each metric is its own concept.
    """
    return database.query(
        "concept_figures",
        snapshot_id=snapshot_id,
        concept_id=metric_id,
        metric_id=metric_id,
        district_ids=district_ids,
        like_for_like_only=False,
        per_month=False,
        per=None,
    )


def facts_table(rows: list[dict]) -> pa.Table:
    """Rows in the analysts' contract, typed as schema.FACTS."""
    return pa.Table.from_pylist(rows, schema=schema.FACTS)


def write_facts(path: Path, rows: list[dict]) -> Path:
    pq.write_table(facts_table(rows), path)
    return path


def _stored(rows: list[dict], snapshot_id: str) -> pa.Table:
    table = facts_table(rows)
    return table.append_column("snapshot_id", pa.array([snapshot_id] * len(table), pa.string()))


def build_fixture_dir(data_dir: Path) -> Path:
    """Writes the fixture data directory the way the bundled one is written."""
    for kind, rows in (("districts", DISTRICTS), ("concepts", CONCEPTS), ("metrics", METRICS), ("sources", SOURCES)):
        table = pa.Table.from_pylist(rows, schema=schema.DIMENSIONS[kind])
        assert schema.check_dimension(kind, table) == []
        store.write_parquet(data_dir / store.DIMENSION_FILES[kind], table)
    for source_id, text in SOURCE_TEXTS.items():
        (data_dir / "sources").mkdir(parents=True, exist_ok=True)
        (data_dir / "sources" / f"{source_id}.txt").write_text(text, encoding="utf-8")
    entries = []
    for snapshot_id, rows, added in ((OLD, OLD_FACTS, "2026-01-01"), (NEW, NEW_FACTS, "2026-02-01")):
        facts = _stored(rows, snapshot_id)
        written = store.write_snapshot_files(data_dir / "snapshots", f"{snapshot_id}.parquet", facts)
        entries.append(store.SnapshotEntry(id=snapshot_id, added=f"{added}T00:00:00+00:00", **written))
    store.write_manifest(data_dir, entries)
    return data_dir


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root (hidden and temporary files included)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def fixture_template(tmp_path_factory) -> Path:
    return build_fixture_dir(tmp_path_factory.mktemp("fixture") / "data")


MANY_PLACES = 80  # more than Compare's chart draws (30)
MANY_METRICS = 6


@pytest.fixture(scope="session")
def many_places_template(tmp_path_factory) -> Path:
    """A synthetic data directory written by the benchmark's generator, at a small size (read only)."""
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    out_dir = tmp_path_factory.mktemp("many") / "data"
    generate.generate(out_dir, places=MANY_PLACES, metrics=MANY_METRICS, snapshots=2, seed=1)
    return out_dir


@pytest.fixture
def fixture_dir(fixture_template, tmp_path) -> Path:
    """A fresh, writable copy of the fixture data directory."""
    return Path(shutil.copytree(fixture_template, tmp_path / "data"))


@pytest.fixture
def real_data_copy(tmp_path) -> Path:
    """A writable copy of the bundled data directory."""
    return Path(shutil.copytree(DATA_DIR, tmp_path / "real"))


@pytest.fixture(autouse=True)
def streamlit_caches_follow_the_data_directory(monkeypatch):
    """Streamlit's caches (the dashboard's Database is a cache_resource shared by every AppTest in the
    process) are kept from test to test, as a server keeps them from visitor to visitor, and emptied
    after a test that pointed REDENGINE_DATA_DIR at another directory. (Torn down before monkeypatch
    undoes the variable, so the test's value is still there to see.)"""
    monkeypatch.delenv(store.DATA_DIR_ENV, raising=False)
    yield
    if os.environ.get(store.DATA_DIR_ENV) is not None:
        clear_streamlit_caches()


@pytest.fixture(autouse=True)
def app_runs_through_navigation(monkeypatch):
    """Runs every AppTest run through app.py's st.navigation, as the server does after its first run.

    Because the repository has a pages/ folder, Streamlit starts in its old multipage mode and
    AppTest re-enters that mode on every run: a run after switch_page() would execute the page
    file alone, without app.py (no sidebar, no URL check of lang and snapshot). The server
    leaves that mode for good at the first st.navigation call; the browser tests cover that
    first request.
    """

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", NavigationPagesManager)


def clear_streamlit_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def use_data_dir(monkeypatch):
    """Points REDENGINE_DATA_DIR (read by the CLI, the API and the pages through data.shared) at a directory; the pages'
    caches start empty there."""

    def point(path: Path) -> Path:
        monkeypatch.setenv(store.DATA_DIR_ENV, str(path))
        clear_streamlit_caches()
        return path

    return point
