"""Two replicas behind HAProxy, reading snapshots from moto's S3 on 127.0.0.1 (make cluster's shape).

A snapshot added through the bucket reaches both replicas within 5 s; a shared link opened in Chromium
through the balancer comes back at the same view after the replica it landed on is killed, and an upload
from that page then passes the other replica's XSRF check.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, VIEWPORT, open_view, wait_for_app
from conftest import BUNDLED, DATA_DIR
from moto_s3 import environment, new_bucket, s3_server
from playwright.sync_api import Locator, expect, sync_playwright

from redengine.data import objectstore, store
from redengine.ops import cluster

pytestmark = pytest.mark.browser
FAILOVER_LIMIT_S = 5
SHARED_VIEW = "compare?lang=en&category=volunteers&metric=registered_volunteers&places=jiangan,wuchang"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[tuple[cluster.Cluster, objectstore.Bucket]]:
    cache = tmp_path_factory.mktemp("replica-cache")
    with s3_server() as endpoint:
        env = {
            **environment(endpoint),
            store.DATA_URL_ENV: new_bucket(endpoint),
            objectstore.CACHE_DIR_ENV: str(cache),
            cluster.COOKIE_SECRET_ENV: "a-test-secret-shared-by-both-replicas",
        }
        with mock.patch.dict(os.environ, env):
            bucket = objectstore.Bucket(env[store.DATA_URL_ENV])
            objectstore.publish(bucket, DATA_DIR)  # an analyst's machine: the bundled data into the bucket
            with cluster.running(2, env=env) as running:
                yield running, bucket


def _bundled_facts() -> pa.Table:
    """The bundled snapshot's figures as an analyst's file (no snapshot_id)."""
    return pq.read_table(DATA_DIR / "snapshots" / f"{BUNDLED}.parquet").drop_columns(["snapshot_id"])


def _snapshot_ids(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/api/v1/snapshots.json", timeout=5) as response:
        return [row["id"] for row in json.load(response)["rows"]]


def test_a_snapshot_added_through_the_bucket_is_served_by_both_replicas_within_5_s(deployment, tmp_path):
    running, bucket = deployment
    for replica in running.replicas.values():
        assert _snapshot_ids(replica.url) == [BUNDLED]
    pq.write_table(_bundled_facts(), tmp_path / "again.parquet")
    objectstore.add(bucket, tmp_path / "again.parquet", "2026-12-04-from-s3")  # this process, not a replica
    added = time.monotonic()
    waiting = set(running.replicas)
    while waiting:
        waiting = {name for name in waiting if "2026-12-04-from-s3" not in _snapshot_ids(running.replicas[name].url)}
        assert time.monotonic() - added < 5, f"{sorted(waiting)} did not list the new snapshot within 5 s"
        time.sleep(0.2)


def test_a_shared_link_survives_the_loss_of_its_replica_at_the_same_view(deployment):
    running, _ = deployment
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            page = context.new_page()
            open_view(page, f"{running.url}/{SHARED_VIEW}")
            main = page.get_by_test_id("stMain")
            expect(main.locator(".redengine-bars")).to_be_visible()  # the chart draws after the run ends
            shown = _settled_text(main)
            # The view as the app wrote it back in full (the run writes the URL last): the snapshot is named.
            expect(page).to_have_url(re.compile(r"[?&]snapshot="))
            view = parse_qs(urlsplit(page.url).query)
            assert "Registered volunteers" in shown and "Jiang'an" in shown and "Wuchang" in shown
            landed = {c["name"]: c["value"] for c in context.cookies()}["SRV"]

            running.kill(landed)
            killed = time.monotonic()
            page.wait_for_selector(
                "[data-testid=stApp]:not([data-test-connection-state=CONNECTED])", timeout=FAILOVER_LIMIT_S * 1000
            )
            wait_for_app(page)
            # The other replica re-runs the page from the URL: the same view, drawn again.
            expect(main).to_have_text(shown, use_inner_text=True, timeout=FAILOVER_LIMIT_S * 1000)
            recovered_s = time.monotonic() - killed
            served_by = {c["name"]: c["value"] for c in context.cookies()}["SRV"]
            page.screenshot(path=str(_screenshot("cluster-after-failover")))
            assert served_by != landed and served_by in running.replicas
            assert recovered_s < FAILOVER_LIMIT_S, f"served again after {recovered_s:.1f} s"
            assert parse_qs(urlsplit(page.url).query) == view

            # Still the page the first replica served (no reload), with the XSRF cookie it set: the other replica
            # accepts an upload with it (XSRF protection is on; the token is checked against the cookie).
            page.get_by_role("link", name="What changed").click()
            wait_for_app(page)
            page.get_by_text("Check a snapshot file (nothing is written)").click()
            facts = io.BytesIO()
            pq.write_table(_bundled_facts(), facts)
            page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
                {"name": "again.parquet", "mimeType": "application/octet-stream", "buffer": facts.getvalue()}
            )
            expect(page.locator("[data-testid=stAlertContentSuccess]")).to_contain_text(
                "again.parquet: Valid: 328 figures", timeout=30_000
            )
            assert {c["name"]: c["value"] for c in context.cookies()}["SRV"] == served_by
        finally:
            browser.close()


def _settled_text(locator: Locator) -> str:
    """The element's text once the page has drawn it (the same for half a second)."""
    previous, deadline = None, time.monotonic() + 20
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if text and text == previous:
            return text
        previous = text
        time.sleep(0.5)
    raise AssertionError(f"the page kept changing for 20 s: {previous[:200]!r}")


def _screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
