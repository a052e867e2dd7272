"""The "Get this data" panel each page ends with: the API URL of what it shows, code, citation."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import streamlit as st

from redengine.core import view_state
from redengine.core.i18n import t
from redengine.data import package, shared
from redengine.present import links

# Where the links point when the browser's address is unknown (AppTest, a bare script run).
FALLBACK_BASE_URL = "http://127.0.0.1:8501"


PANEL_KEY = "get_data_open"


def base_url() -> str:
    """The server as the reader's browser reaches it: scheme, host and port."""
    parts = urlsplit(st.context.url or FALLBACK_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def show(view: view_state.View, endpoint: str = "facts", snapshots: Sequence[str] = (), **params: object) -> None:
    """The panel for `endpoint` with `params`, pinned to each of `snapshots` (by default the view's)."""
    lang = view.lang
    base = base_url()
    entries = {entry.id: entry for entry in shared.database().snapshots()}
    # Drawn only once opened: its code blocks make the browser load a 1.6 MB syntax highlighter, which
    # every page's first view would otherwise pay for a panel that starts closed.
    with st.expander(t("get_data", lang), icon=":material/dataset:", key=PANEL_KEY, on_change="rerun") as panel:
        if not panel.open:
            return
        for snapshot_id in dict.fromkeys(snapshots or [view.snapshot_id]):
            url = links.api_url(base, endpoint, snapshot=snapshot_id, **params)
            package_url = f"{base}{links.API_PREFIX}/snapshots/{snapshot_id}.zip"
            st.caption(t("get_data_intro", lang, snapshot=snapshot_id))
            st.markdown(f"**{t('get_data_url', lang)}**")
            st.code(url, language=None, wrap_lines=True)
            st.markdown(f"**{t('get_data_pandas', lang)}**")
            st.code(f'import pandas as pd; df = pd.read_csv("{url}")', language="python", wrap_lines=True)
            st.markdown(f"**{t('get_data_r', lang)}**")
            st.code(f'df <- read.csv("{url}", fileEncoding = "UTF-8-BOM")', language="r", wrap_lines=True)
            st.markdown(f"**{t('get_data_cite', lang)}**")
            st.code(package.citation_text(entries[snapshot_id], package_url), language=None, wrap_lines=True)
            st.link_button(t("get_data_package", lang), package_url, icon=":material/folder_zip:")
