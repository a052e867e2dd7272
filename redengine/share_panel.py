"""Under each chart: Download PNG and SVG (the chart with its source, snapshot and link baked in), Copy link
(the view's canonical URL) and the citation; on a phone the PNG is shown too, to long-press; in print, the
source line and URL. The stylesheet for phones and print is injected once, by app.py.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

from redengine import cached, get_data, share, view_state
from redengine.i18n import t

STYLESHEET = Path(__file__).with_name("share.css")


def inject_stylesheet() -> None:
    """The phone and print rules (share.css), once per run: app.py calls it before the page."""
    st.html(f"<style>{STYLESHEET.read_text(encoding='utf-8')}</style>")


def shared_view(view: view_state.View, page: str, params: Mapping[str, str]) -> share.SharedView:
    """The view a chart shows, described as its link and image describe it (same function, same data);
    cached, since describing resolves the page's view again (18 ms a Compare rerun, measured)."""
    return _described(cached.database().version(), page, tuple(params.items()), view.lang)


@st.cache_resource(max_entries=256, show_spinner=False)
def _described(version: str, page: str, params: tuple[tuple[str, str], ...], lang: str) -> share.SharedView:
    # `version` (the manifest's) is part of the key: a new snapshot is a new description.
    return share.describe(page, dict(params), cached.query, cached.database().snapshots(), lang)


def show(view: view_state.View, page: str, params: Mapping[str, str], key: str) -> None:
    """The panel for the chart of `page` with the query `params` (the view's, as url_state writes them)."""
    lang = view.lang
    shared = shared_view(view, page, params)
    base = get_data.base_url()
    url = shared.url(base)
    with st.container(key=f"share-{key}"):
        # Phones (share.css): the image itself, which a long press saves or forwards.
        image = f'<img src="{_attribute(shared.image_url(base))}" alt="{_attribute(shared.headline)}" loading="lazy">'
        st.html(f'<div class="redengine-phone-image">{image}<p>{_text(t("share_phone_hint", lang))}</p></div>')
        with st.container(horizontal=True, key=f"share-buttons-{key}"):
            if share.renderer_available():
                for fmt in share.FORMATS:
                    st.download_button(
                        t(f"share_{fmt}", lang),
                        _image(shared, fmt, base),
                        file_name=share.image_name(shared, fmt),
                        mime=share.FORMATS[fmt],
                        icon=":material/image:",
                        help=t(f"share_{fmt}_help", lang),
                        on_click="ignore",
                        key=f"share-{fmt}-{key}",
                    )
            with st.popover(t("share_copy_link", lang) + " · " + t("share_cite", lang), icon=":material/link:"):
                st.markdown(f"**{t('share_copy_link', lang)}**")
                st.code(url, language=None, wrap_lines=True)
                st.markdown(f"**{t('share_cite', lang)}**")
                st.code(shared.citation(base), language=None, wrap_lines=True)
        if not share.renderer_available():
            st.caption(t("share_unavailable", lang))
        # Print (share.css): what a printed brief must carry under its chart.
        st.html(
            f'<div class="redengine-print-only"><p>{_text(shared.headline)}</p>'
            f"<p>{_text(shared.sources_text)}</p>"
            f"<p>{_text(t('share_snapshot', lang, snapshot=shared.snapshot.id))} · {_text(url)}</p></div>"
        )


def _image(shared: share.SharedView, fmt: str, base: str) -> Callable[[], bytes]:
    """The image, drawn only when its button is clicked. Streamlit calls it in a thread of its own,
    outside the script run, so it calls no Streamlit function: the version is taken now."""
    version = cached.database().version()
    return lambda: share.image(shared, fmt, base, version)


def _text(text: str) -> str:
    return html.escape(text, quote=False)


def _attribute(text: str) -> str:
    return html.escape(text, quote=True)
