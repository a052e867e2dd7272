"""Waits on what a Streamlit page shows, for the browser tests and the first-view benchmark.

`settled` is what a person waits for: the app connected, its script not running, content in
the main area, every chart drawn, no skeleton or spinner, and nothing on the page changing for
a quiet period (a MutationObserver, installed before the page's own scripts, timestamps every
change).
"""

from __future__ import annotations

READY_TIMEOUT_MS = 20_000
QUIET_MS = 500

# Installed with context.add_init_script (before the app's scripts) or evaluated on a loaded
# page: window.__lastChange is the page clock (ms since navigation) of the latest DOM change.
WATCH_CHANGES = """(() => {
  if (window.__lastChange !== undefined) return;
  window.__lastChange = performance.now();
  new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})()"""

# The page clock at the last change once the page has settled and stayed so for `quiet` ms, else null.
SETTLED = """(quiet) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.dataset.testConnectionState !== 'CONNECTED' || app.dataset.testScriptState !== 'notRunning')
    return null;
  if (!document.querySelector('[data-testid=stMainBlockContainer] [data-testid=stElementContainer]')) return null;
  const busy = '[data-testid=stStatusWidgetRunningIcon], [data-testid=stStatusWidgetRunningManIcon],'
    + ' [data-testid=stSkeleton], [data-testid=stAppSkeleton], [data-testid=stSpinner]';
  if (document.querySelector(busy)) return null;
  for (const chart of document.querySelectorAll('[data-testid=stPlotlyChart]'))
    if (!chart.querySelector('.main-svg')) return null;
  return performance.now() - window.__lastChange >= quiet ? window.__lastChange : null;
}"""


def wait_for_app(page, timeout_ms: float = READY_TIMEOUT_MS) -> None:
    """Connected, and the script run finished (Streamlit's own e2e readiness test)."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=timeout_ms)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)


def wait_until_settled(page, quiet_ms: float = QUIET_MS, timeout_ms: float = READY_TIMEOUT_MS) -> float:
    """Waits until the page has settled (above); returns the page clock, in ms, of its last change.

    Installs the change watcher if the page has none yet (then changes count from now on).
    """
    page.evaluate(WATCH_CHANGES)
    return page.wait_for_function(SETTLED, arg=quiet_ms, timeout=timeout_ms, polling=50).json_value()
