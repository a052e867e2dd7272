"""Where Debian's Chromium is and how it starts: for the server's chart images (web/images.py), and through
harness/chromium.py for the browser tests and benchmarks.

Playwright cannot download its own browsers here; Debian's package is used instead.
"""

import os
from pathlib import Path

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


def path() -> str:
    """The browser for chart images: REDENGINE_CHROMIUM, else Debian's."""
    return os.environ.get("REDENGINE_CHROMIUM", EXECUTABLE)


def available() -> bool:
    return Path(path()).is_file()
