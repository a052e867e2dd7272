"""Chart images drawn by kaleido in the Debian Chromium, kept open between images (~0.25 s an image instead of
~4 s with a fresh browser); its page collects its garbage every COLLECT_EVERY images and the browser is recycled
every RECYCLE_AFTER; rendered images are kept per view and manifest version (bounded).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlencode

import plotly.graph_objects as go

from redengine.core import chromium
from redengine.present.share import IMAGE_HEIGHT, IMAGE_WIDTH, SharedView, image_figure

RENDER_TIMEOUT_S = 30
# Each image leaves ~8 MB of garbage in the page's JavaScript heap that V8, far from its limit, keeps: PSS ~440 MB
# fresh, +160 MB after 20 images. A forced collection every 10 keeps it flat (measured: +10 MB over 120 images);
# it costs the next images about as much time as reopening the browser every 20 did (~0.36 s an image either way).
COLLECT_EVERY = 10
RECYCLE_AFTER = 200  # a backstop for what a collection does not free
CACHED_IMAGES = 128  # ~30–80 kB each


class RendererUnavailable(RuntimeError):
    """No image can be drawn here: the message says why and how to fix it."""


class Renderer:
    """One headless Chromium driven by kaleido, kept open in a thread with its own event loop.

    Images are drawn one at a time (a lock); the page's garbage is collected every `collect_every` images; the
    browser is closed and a new one opened after `recycle_after` images, and after a failure.
    """

    def __init__(
        self, executable: str, recycle_after: int = RECYCLE_AFTER, collect_every: int | None = COLLECT_EVERY
    ) -> None:
        self.executable = executable
        self.recycle_after = recycle_after
        self.collect_every = collect_every
        self.rendered = 0  # by the open browser
        self.browsers_opened = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None

    def render(self, figure: go.Figure, fmt: str, width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT) -> bytes:
        with self._lock:
            if self._kaleido is not None and self.rendered >= self.recycle_after:
                self._close()
            if self._kaleido is None:
                self._open()
            options = {"format": fmt, "width": width, "height": height}
            try:
                image = self._run(self._kaleido.calc_fig(figure, opts=options))
                self.rendered += 1
                if self.collect_every and self.rendered % self.collect_every == 0:
                    self._run(self._collect_garbage())
            except Exception:
                self._close()  # a browser in an unknown state is not reused
                raise
            return image

    async def _collect_garbage(self) -> None:
        for tab in self._kaleido.tabs.values():
            await tab.send_command("HeapProfiler.collectGarbage")

    def close(self) -> None:
        with self._lock:
            self._close()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(RENDER_TIMEOUT_S)

    def _open(self) -> None:
        if not Path(self.executable).is_file():
            raise RendererUnavailable(
                f"Chart images need Chromium, not found at {self.executable}. "
                "Fix: install it (make system-deps, or apt-get install chromium) or set REDENGINE_CHROMIUM."
            )
        import kaleido  # imported here: a server that never draws an image does not load it

        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True).start()

        async def opened():
            browser = kaleido.Kaleido(path=self.executable, mathjax=False, timeout=RENDER_TIMEOUT_S)
            await browser.open()
            return browser

        try:
            self._kaleido = self._run(opened())
        except Exception as error:
            self._stop_loop()
            raise RendererUnavailable(
                f"Chromium at {self.executable} did not start for chart images ({type(error).__name__}). "
                "Fix: check that it runs headless on this machine."
            ) from error
        self.browsers_opened += 1
        self.rendered = 0

    def _close(self) -> None:
        if self._kaleido is not None:
            try:
                self._run(self._kaleido.close())
            except Exception:  # noqa: BLE001 — a browser that will not close cleanly is dropped anyway
                pass
            self._kaleido = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None


_renderer_lock = threading.Lock()
_renderer: Renderer | None = None
_images: OrderedDict[tuple[str, ...], bytes] = OrderedDict()


def renderer() -> Renderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None or _renderer.executable != chromium.path():
            _renderer = Renderer(chromium.path())
        return _renderer


def close_renderer() -> None:
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()


def image(shared: SharedView, fmt: str, base: str, version: str) -> bytes:
    """The view's image in `fmt` (png or svg), from the cache when this view, base URL and manifest version
    were drawn before. Raises RendererUnavailable when no browser can draw it."""
    key = (shared.page, fmt, urlencode(shared.params), base, version)
    with _renderer_lock:
        if key in _images:
            _images.move_to_end(key)
            return _images[key]
    drawn = renderer().render(image_figure(shared, base), fmt)
    with _renderer_lock:
        _images[key] = drawn
        while len(_images) > CACHED_IMAGES:
            _images.popitem(last=False)
    return drawn
