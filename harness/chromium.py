"""Debian's Chromium for browser tests, screenshots and benchmarks, started as the server's image renderer
starts it (redengine/core/chromium.py). Playwright cannot download its own browsers here."""

from redengine.core.chromium import ARGS, EXECUTABLE

__all__ = ["ARGS", "EXECUTABLE", "launch"]


def launch(playwright, **options):
    """Debian's Chromium, headless, through a sync or async Playwright."""
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=list(ARGS), **options)
