"""What changed between two snapshots (counts, then the first rows of the differences), as a replayed part
(cached.replayed): a rerun replays the elements instead of building a table of up to 1,000 rows again.
"""

from __future__ import annotations

import streamlit as st

from redengine.core.i18n import t
from redengine.core.view_state import View
from redengine.present import cards, tables
from redengine.ui import cached, widgets

ROWS_SHOWN = 1000


@cached.replayed
def differences(view: View, old: str, new: str, phone: bool) -> None:
    """Figures added, removed and revised from snapshot `old` to `new`: the counts, then the first rows as a table
    and as cards, or on a `phone` as cards only (widgets.wide_and_narrow)."""
    lang = view.lang
    counts = cached.query("snapshot_diff_counts", old_snapshot_id=old, new_snapshot_id=new)
    counts = counts.set_index("change")["figures"]
    for column, kind in zip(st.columns(3), ("added", "removed", "revised"), strict=True):
        column.metric(t(f"change_{kind}", lang), int(counts.get(kind, 0)))
    if counts.sum() == 0:
        st.info(t("no_changes", lang))
        return
    if counts.sum() > ROWS_SHOWN:
        st.caption(t("more_rows_hidden", lang, n=ROWS_SHOWN, total=int(counts.sum())))
    changes = cached.query("snapshot_diff", old_snapshot_id=old, new_snapshot_id=new, row_limit=ROWS_SHOWN)
    table = tables.changes_table(changes, lang)
    # A wide screen gets the table; a narrow one a card per change.
    wide, narrow = widgets.wide_and_narrow("changes", phone)
    if wide is not None:
        wide.dataframe(table, hide_index=True, column_config=widgets.link_columns(lang))
    narrow.html(cards.cards_html(table))
