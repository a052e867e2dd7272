"""Under each chart: Download PNG and SVG (links to the chart's image, with its source, snapshot and link baked
in), Copy link (the view's canonical URL) and the citation; on a phone the PNG is shown too, to long-press; in
print, the source line and URL. The stylesheet for phones and print is injected once, by app.py.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from redengine.core import chromium, view_state
from redengine.core.i18n import t
from redengine.present import share
from redengine.ui import get_data

STYLESHEET = Path(__file__).with_name("share.css")


@functools.cache
def _stylesheet() -> str:
    return f"<style>{STYLESHEET.read_text(encoding='utf-8')}</style>"  # read once, not on every rerun


def inject_stylesheet() -> None:
    """The phone and print rules (share.css), once per run: app.py calls it before the page."""
    st.html(_stylesheet())


def shared_view(view: view_state.View, page: str, params: Mapping[str, str]) -> share.SharedView:
    """The view a chart shows, described as its link, preview and image describe it (the same cached description:
    describing resolves the page's view again, 18 ms a Compare rerun, measured)."""
    return share.described(page, params.items(), view.lang)


def show(view: view_state.View, page: str, params: Mapping[str, str], key: str) -> None:
    """The panel for the chart of `page` with the query `params` (the view's, as url_state writes them)."""
    lang = view.lang
    described = shared_view(view, page, params)
    base = get_data.base_url()
    url = described.url(base)
    with st.container(key=f"share-{key}"):
        # Phones (share.css): the image itself, which a long press saves or forwards.
        # The image's alt text says what the chart shows (places, values, periods, verdicts), not only its title.
        source, alt = _attribute(described.image_url(base)), _attribute(described.chart_text or described.headline)
        image = f'<img src="{source}" alt="{alt}" loading="lazy">'
        st.html(f'<div class="redengine-phone-image">{image}<p>{_text(t("share_phone_hint", lang))}</p></div>')
        with st.container(horizontal=True, key=f"share-buttons-{key}"):
            if chromium.available():
                # Links to the image URL (an attachment), not download buttons: no widget to register on every
                # rerun and no callable to keep per session, and the server's image cache answers every visitor.
                for fmt in share.IMAGE_FORMATS:
                    st.link_button(
                        t(f"share_{fmt}", lang),
                        described.image_url(base, fmt, download=True),
                        icon=":material/image:",
                        help=t(f"share_{fmt}_help", lang),
                    )
            with st.popover(t("share_copy_link", lang) + " · " + t("share_cite", lang), icon=":material/link:"):
                st.markdown(f"**{t('share_copy_link', lang)}**")
                st.code(url, language=None, wrap_lines=True)
                st.markdown(f"**{t('share_cite', lang)}**")
                st.code(described.citation(base), language=None, wrap_lines=True)
        if not chromium.available():
            st.caption(t("share_unavailable", lang))
        # Print (share.css): what a printed brief must carry under its chart.
        st.html(
            f'<div class="redengine-print-only"><p>{_text(described.headline)}</p>'
            f"<p>{_text(described.sources_text)}</p>"
            f"<p>{_text(t('share_snapshot', lang, snapshot=described.snapshot.id))} · {_text(url)}</p></div>"
        )


def _text(text: str) -> str:
    return html.escape(text, quote=False)


def _attribute(text: str) -> str:
    return html.escape(text, quote=True)
