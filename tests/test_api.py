"""The data API against a real server started like `make run` (server.py), on the fixture data.

The fixture directory has two snapshots (OLD, NEW) with known differences, so "no snapshot means
the latest" and "a pinned URL returns that snapshot" can both be seen. SQL runs with a 2 s limit.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pandas as pd
import pyarrow.parquet as pq
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, get, open_view, streamlit_server, wait_until_settled
from conftest import NEW, OLD, REPO
from playwright.sync_api import sync_playwright
from test_export import TEXT_COLUMNS, by_key, export, stored_facts

from redengine.data import sql_sandbox

SQL_SECONDS = 2
FORMATS = ("csv", "json", "parquet")
ENDPOINTS = {
    "snapshots": "",
    "facts": "",
    "comparison": "concept=members&district=alpha,beta,gamma",
    "districts": "",
    "concepts": "",
    "metrics": "",
    "sources": "",
    "sql": "q=select+district_id,+count(*)+as+n+from+facts+group+by+all+order+by+all",
}


@pytest.fixture(scope="module")
def server(fixture_template) -> Iterator[str]:
    with streamlit_server("server.py", fixture_template, {sql_sandbox.WALL_SECONDS_ENV: str(SQL_SECONDS)}) as url:
        yield url


def rows(fmt: str, body: bytes) -> pd.DataFrame:
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf"), (
            "CSV should start with a UTF-8 byte-order mark, as the pages' downloads"
        )
        return pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    if fmt == "json":
        return pd.DataFrame(json.loads(body)["rows"])
    return pq.read_table(io.BytesIO(body)).to_pandas()


# --- every endpoint, every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_endpoint_answers_in_each_format_and_names_its_snapshot(server, endpoint, fmt):
    status, headers, body = get(f"{server}/api/v1/{endpoint}.{fmt}?{ENDPOINTS[endpoint]}")
    assert status == 200, body[:300]
    assert headers["x-redengine-snapshot"] == NEW
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["etag"]
    same_in_csv = rows("csv", get(f"{server}/api/v1/{endpoint}.csv?{ENDPOINTS[endpoint]}")[2])
    assert len(rows(fmt, body)) == len(same_in_csv) > 0
    if fmt == "json" and endpoint != "snapshots":
        assert json.loads(body)["snapshot_id"] == NEW
    if fmt == "parquet" and endpoint != "snapshots":
        assert pq.read_schema(io.BytesIO(body)).metadata[b"redengine.snapshot_id"] == NEW.encode()


def test_snapshots_lists_every_snapshot_latest_first(server, fixture_template):
    listed = rows("json", get(f"{server}/api/v1/snapshots.json")[2])
    assert list(listed["id"]) == [NEW, OLD]
    assert list(listed["rows"]) == [len(stored_facts(fixture_template, s)) for s in (NEW, OLD)]
    assert all(len(sha) == 64 for sha in listed["sha256"])


def test_pandas_reads_the_facts_url_of_each_snapshot(server, fixture_template):
    for snapshot_id in (OLD, NEW):
        read = pd.read_csv(
            f"{server}/api/v1/facts.csv?snapshot={snapshot_id}", encoding="utf-8-sig", dtype=TEXT_COLUMNS
        )
        pd.testing.assert_frame_equal(
            by_key(read), by_key(stored_facts(fixture_template, snapshot_id)), check_dtype=False
        )


def test_no_snapshot_means_the_latest_and_the_response_says_which(server):
    status, headers, body = get(f"{server}/api/v1/facts.csv?district=gamma")
    assert status == 200
    assert headers["x-redengine-snapshot"] == NEW
    assert headers["content-location"] == f"/api/v1/facts.csv?district=gamma&snapshot={NEW}"
    assert headers["cache-control"] == "public, no-cache"
    assert set(rows("csv", body)["snapshot_id"]) == {NEW}
    pinned = get(f"{server}/api/v1/facts.csv?district=gamma&snapshot={OLD}")
    assert pinned[1]["x-redengine-snapshot"] == OLD and "max-age" in pinned[1]["cache-control"]
    # OLD → NEW added gamma's volunteers
    assert len(rows("csv", pinned[2])) == len(rows("csv", body)) - 1


# --- filters --------------------------------------------------------------------------------------


def test_filters_repeat_or_take_commas_and_combine(server, fixture_template):
    comma = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&district=alpha,beta")[2])
    repeated = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&district=alpha&district=beta")[2])
    pd.testing.assert_frame_equal(comma, repeated)
    expected = stored_facts(fixture_template, OLD)
    assert len(comma) == expected["district_id"].isin(["alpha", "beta"]).sum()
    category = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&category=organizations")[2])
    assert set(category["metric_id"]) == {"members", "branches"}
    assert len(category) == expected["metric_id"].isin(["members", "branches"]).sum()
    both = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&category=organizations&district=beta")[2])
    assert list(both["metric_id"]) == ["members"] and list(both["district_id"]) == ["beta"]
    by_source = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&source=src_a")[2])
    assert set(by_source["district_id"]) == {"alpha"}
    by_concept = rows("csv", get(f"{server}/api/v1/facts.csv?snapshot={OLD}&concept=members")[2])
    assert set(by_concept["metric_id"]) == {"members"}  # the fixture's concepts are its metrics
    assert {"period_basis", "scope_zh", "scope_en"} <= set(by_concept.columns)
    concepts = rows("csv", get(f"{server}/api/v1/concepts.csv?snapshot={OLD}")[2])
    assert set(concepts["concept_id"]) == set(stored_facts(fixture_template, OLD)["metric_id"]) | {"centers"}


# --- caching --------------------------------------------------------------------------------------


def test_etag_answers_304_and_a_pinned_url_keeps_its_etag(server):
    url = f"{server}/api/v1/facts.parquet?snapshot={OLD}&metric=members"
    status, headers, body = get(url)
    assert status == 200 and body
    again = get(url, {"If-None-Match": headers["etag"]})
    assert again[0] == 304 and again[2] == b""
    assert get(url)[1]["etag"] == headers["etag"]
    assert get(url)[2] == body  # the same bytes
    assert get(url.replace("members", "branches"))[1]["etag"] != headers["etag"]


def test_the_data_package_is_the_cli_export(server, fixture_template, tmp_path):
    status, headers, body = get(f"{server}/api/v1/snapshots/{OLD}.zip")
    assert status == 200 and headers["content-type"] == "application/zip"
    assert export(OLD, tmp_path / "old.zip", fixture_template).returncode == 0
    assert body == (tmp_path / "old.zip").read_bytes()
    assert get(f"{server}/api/v1/snapshots/{OLD}.zip", {"If-None-Match": headers["etag"]})[0] == 304


# --- bad requests ---------------------------------------------------------------------------------


BAD = {
    "unknown_snapshot": ("facts.csv?snapshot=2020-nope", [OLD, NEW]),
    "two_snapshots": (f"facts.csv?snapshot={OLD},{NEW}", [OLD, NEW]),
    "unknown_district": ("facts.csv?district=alpha,zeta", ["zeta", "alpha", "beta", "gamma"]),
    "unknown_category": ("facts.json?category=sports", ["sports", "organizations"]),
    "unknown_metric": ("facts.parquet?metric=gdp", ["gdp", "members"]),
    "empty_value": ("facts.csv?district=", ["district="]),
    "unknown_parameter": ("districts.csv?lang=en", ["lang", "snapshot"]),
    "parameter_of_another_endpoint": ("snapshots.json?district=alpha", ["district"]),
    "unknown_package": ("snapshots/nope.zip", [OLD, NEW]),
    "sql_refused": ("sql.csv?q=copy+facts+to+'/tmp/x.csv'", ["COPY statements are refused"]),
    "sql_empty": ("sql.json?q=", ["empty"]),
}


@pytest.mark.parametrize("path, named", list(BAD.values()), ids=list(BAD))
def test_bad_parameters_get_400_with_what_is_valid(server, fixture_template, path, named):
    status, headers, body = get(f"{server}/api/v1/{path}")
    assert status == 400
    text = json.loads(body)["error"] if path.split("?")[0].endswith(".json") else body.decode("utf-8")
    assert "Fix:" in text
    for word in named:
        assert word in text, text
    assert str(fixture_template) not in text and str(REPO) not in text  # no file of the server is named


@pytest.mark.parametrize(
    "path, method, status",
    [("facts.xml", "GET", 404), ("nothing.csv", "GET", 404), ("facts.csv", "POST", 405), ("facts.csv", "DELETE", 405)],
)
def test_unknown_paths_and_other_methods_are_refused(server, path, method, status):
    assert get(f"{server}/api/v1/{path}", method=method)[0] == status


def test_every_response_forbids_framing_and_metrics_are_hidden(server):
    for path in ("/", "/compare", "/api/v1/", "/_stcore/health", "/api/v1/facts.csv?snapshot=nope"):
        headers = get(f"{server}{path}")[1]
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    assert get(f"{server}/_stcore/metrics")[0] == 404
    assert get(f"{server}/_stcore/health")[2] == b"ok"


# --- SQL ------------------------------------------------------------------------------------------


def test_sql_over_a_pinned_snapshot(server, fixture_template):
    query = "q=select+count(*)+as+n+from+facts"
    assert rows("json", get(f"{server}/api/v1/sql.json?{query}&snapshot={OLD}")[2])["n"][0] == len(
        stored_facts(fixture_template, OLD)
    )
    assert rows("csv", get(f"{server}/api/v1/sql.csv?{query}")[2])["n"][0] == len(stored_facts(fixture_template, NEW))


def test_runaway_sql_is_stopped_and_the_dashboard_keeps_serving(server):
    """Two runaway queries fill the sandbox; meanwhile the dashboard's reruns and the API stay normal."""
    runaway = f"{server}/api/v1/sql.csv?q=select+count(*)+from+range(1000000000000)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        open_view(page, f"{server}/compare?lang=en&snapshot={NEW}&category=organizations&metric=members&view=chart")

        def rerun(view: str) -> float:
            started = time.monotonic()
            main = page.get_by_test_id("stMain")
            main.get_by_test_id("stButtonGroup").get_by_role("radio", name=view.capitalize()).click()
            wait_until_settled(page, quiet_ms=250)
            return time.monotonic() - started

        normal = max(rerun("table"), rerun("chart"))
        assert get(f"{server}/api/v1/sql.json?q=select+1")[0] == 200  # the sandbox is ready
        answers: list[tuple[int, bytes, float]] = []

        def ask() -> None:
            asked = time.monotonic()
            status, _, body = get(runaway)
            answers.append((status, body, time.monotonic() - asked))

        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        during = max(rerun("table"), rerun("chart"))
        health = time.monotonic()
        assert get(f"{server}/_stcore/health")[2] == b"ok"
        assert time.monotonic() - health < 1
        assert get(f"{server}/api/v1/facts.csv?snapshot={OLD}")[0] == 200
        for thread in threads:
            thread.join()
        browser.close()
    assert [status for status, _, _ in answers] == [400, 400]
    assert all(b"time limit" in body for _, body, _ in answers)
    # The limit counts from the moment the snapshot is loaded; loading takes longer on a busy machine.
    assert all(seconds < SQL_SECONDS + 15 for _, _, seconds in answers), answers
    assert during < max(3 * normal, normal + 1.5), (normal, during)
    assert get(f"{server}/api/v1/sql.json?q=select+42+as+answer")[0] == 200


def test_a_third_query_at_once_is_asked_to_retry(server):
    runaway = f"{server}/api/v1/sql.csv?q=select+count(*)+from+range(1000000000000)"
    threads = [threading.Thread(target=get, args=(runaway,)) for _ in range(sql_sandbox.CONCURRENT_QUERIES)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    status, headers, body = get(f"{server}/api/v1/sql.csv?q=select+1")
    for thread in threads:
        thread.join()
    assert status == 503 and headers["retry-after"] == "5" and b"Fix: try again" in body


def test_a_csv_cell_a_spreadsheet_would_run_opens_as_text(server):
    """OWASP CSV injection: text beginning with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers."""
    query = urllib.parse.urlencode(
        {"q": "select '=HYPERLINK(\"http://evil.example\",\"open\")' as link, '@SUM(1)' as at, -5 as n, '-5' as t"}
    )
    status, _, body = get(f"{server}/api/v1/sql.csv?{query}")
    assert status == 200
    lines = body.decode("utf-8-sig").splitlines()
    assert lines == ["link,at,n,t", '"\'=HYPERLINK(""http://evil.example"",""open"")",\'@SUM(1),-5,-5']
