"""What the browser tests and the benchmarks share: a dashboard server on a free port,
Debian's Chromium, and waits on the page's own state (never a fixed sleep).

Not part of the shipped package (`redengine/`): the tests and benchmarks import it from the
repository root.
"""
