"""How this project starts Debian's Chromium for browser tests, screenshots and benchmarks.

Playwright cannot download its own browsers here; Debian's package is used instead.
"""

EXECUTABLE = "/usr/bin/chromium"
# As root on a closed network: without the networking flags Chromium keeps trying to reach the internet.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch(playwright, **options):
    """Debian's Chromium, headless, through a sync or async Playwright."""
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=list(ARGS), **options)
