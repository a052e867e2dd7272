"""The upload box on What changed, in a real headless Chromium: a hostile file is refused with a
clear message, the box lets go of the file once it is checked, and a valid file is previewed."""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, VIEWPORT, full_screenshot, open_view, streamlit_server
from conftest import OLD_FACTS, facts_table
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.browser
expect.set_options(timeout=30_000)  # the check runs in a child process; a loaded machine starts it slowly

spec = importlib.util.spec_from_file_location("faults", REPO / "benchmarks" / "faults.py")
faults = importlib.util.module_from_spec(spec)
spec.loader.exec_module(faults)


@pytest.fixture(scope="module")
def served(tmp_path_factory, fixture_template) -> Iterator[str]:
    with streamlit_server(data_dir=fixture_template) as url:
        yield url


@pytest.fixture
def page(served) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, locale="en-US")
        open_view(page, f"{served}/changes?lang=en")
        page.get_by_text("Check a snapshot file (nothing is written)").click()
        yield page
        browser.close()


def _upload(page: Page, name: str, payload: bytes) -> None:
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": payload}
    )


def test_a_million_repeated_rows_with_a_300_character_name_are_refused_clearly(page, fixture_template, tmp_path):
    file = faults.duplicate_rows_file(tmp_path / "dups.parquet", fixture_template, 1_000_000)
    name = "a" * 292 + ".parquet"  # 300 characters: longer than a file name may be on the server
    _upload(page, name, file.read_bytes())
    alert = page.locator("[data-testid=stAlertContentError]")
    expect(alert).to_contain_text("999999 row(s) repeat a (district, metric, period)")
    # markup.markdown_text puts an invisible word joiner after a colon (no shortcode can form): a reader sees none
    expect(alert).to_contain_text(
        re.compile(r"and 999994 more\. Fix:\u2060? keep one row per district, metric and period")
    )
    expect(alert).to_contain_text("a" * 79 + "…")  # the name, shortened
    assert "/tmp" not in alert.inner_text()  # no server path
    # The file was let go: the box is empty again, ready for the next one.
    expect(page.locator("[data-testid=stFileUploaderFile]")).to_have_count(0)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    full_screenshot(page, "upload-refused-en")


def test_a_valid_file_is_previewed(page):
    sink = io.BytesIO()
    pq.write_table(facts_table(OLD_FACTS), sink)
    _upload(page, "fine.parquet", sink.getvalue())
    expect(page.locator("[data-testid=stAlertContentSuccess]")).to_contain_text(
        f"fine.parquet: Valid: {len(OLD_FACTS)} figures"
    )
    expect(page.locator("[data-testid=stFileUploaderFile]")).to_have_count(0)
    expect(page.locator("[data-testid=stDataFrame]").last).to_be_visible()


def test_a_figure_its_report_does_not_print_is_refused_by_rule(page):
    """The provenance rules in the browser: the rule named in the reader's language, the problem as validate
    prints it, and nothing else on the page broken."""
    rows = [dict(r) for r in OLD_FACTS]
    rows[1] = dict(rows[1], value=10_000.0)  # 1000名 stored as 10,000
    sink = io.BytesIO()
    pq.write_table(facts_table(rows), sink)
    _upload(page, "revised.parquet", sink.getvalue())
    alert = page.locator("[data-testid=stAlertContentError]")
    expect(alert).to_contain_text("1 problem(s), nothing was written")
    expect(alert).to_contain_text("Value is not the figure as written")
    expect(alert).to_contain_text(
        re.compile(r"row 2, column 'value' \('10000\.0'\):\u2060? value is not 1000名 in base units")
    )
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    full_screenshot(page, "upload-provenance-en")
