"""One Database per process: the start-up warm-up, a page view, the data API and a chart's link preview
all read through the same one (one DuckDB connection, one set of summary tables)."""

from __future__ import annotations

from starlette.requests import Request
from streamlit.testing.v1 import AppTest

from redengine.data import db, shared
from redengine.web import api, routes, warm


def test_warm_up_pages_api_and_previews_share_one_database(monkeypatch):
    monkeypatch.setattr(shared, "_current", None)
    opened: list[db.Database] = []
    original_init = db.Database.__init__

    def counted_init(self, *args, **kwargs):
        opened.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(db.Database, "__init__", counted_init)

    warm.warm_up()
    page = AppTest.from_file("../app.py", default_timeout=60)
    page.query_params["concept"] = "registered_volunteers"
    page.switch_page("pages/compare.py").run()
    assert not page.exception
    scope = {"type": "http", "method": "GET", "path": "/api/v1/facts.csv", "query_string": b"", "headers": []}
    assert api.facts(Request({**scope, "path_params": {"fmt": "csv"}})).status_code == 200
    routes.describe("compare", "concept=registered_volunteers", "zh")

    assert len(opened) == 1 and shared.database() is opened[0]


def test_another_data_directory_opens_a_new_database_and_drops_what_was_built_from_the_old(monkeypatch, fixture_dir):
    monkeypatch.setattr(shared, "_current", None)
    dropped: list[str] = []
    monkeypatch.setattr(shared, "_on_replace", [lambda: dropped.append("results")])
    first = shared.database()
    assert shared.database() is first and dropped == ["results"]
    monkeypatch.setenv("REDENGINE_DATA_DIR", str(fixture_dir))
    second = shared.database()
    assert second is not first and second.data_dir == fixture_dir and dropped == ["results", "results"]
