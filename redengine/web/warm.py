"""What start-up does so that the first visitor does not: import the pages' modules, open the
database, fill the latest snapshot's summary tables and build a first Plotly figure. Called by
web.lifespan before the server takes visitors.
"""

from __future__ import annotations

import logging

from streamlit.string_util import is_emoji

from redengine.data import shared, store

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Opens the database, fills the latest snapshot's summary tables and builds one chart.

    A data directory that cannot be read is left for the pages to explain to their visitors, and one that cannot
    be prepared now (a file error) for the first visitor: warming up never stops the server from starting.
    """
    # The pages' modules, with pandas, pyarrow and Plotly: imported here, not by a server that only starts.
    from redengine.core.domain import HEADLINE_CATEGORIES
    from redengine.present import charts, tables

    try:
        database = shared.database()
        latest = database.snapshots()[-1].id
        database.fill_summaries(latest)
        database.query("district_cards", snapshot_id=latest)  # every page starts from the places' cards
        headline = database.query("headline_figures", snapshot_id=latest, categories=list(HEADLINE_CATEGORIES), top_n=1)
    except store.DataDirError as error:
        log.warning("start-up could not read the data; the pages will say why: %s", error)
        return
    except OSError as error:  # e.g. a full disk, or a file removed while it was read
        log.warning("start-up could not prepare the data; the first visitor will: %s", error)
        return
    # Streamlit compiles its emoji pattern on the first st.set_page_config with an emoji icon (app.py's).
    is_emoji("🏮")
    # Plotly loads its validators on a figure's first use (about half a second), once per process.
    first = next(iter(tables.by_category(headline, HEADLINE_CATEGORIES)), None)
    if first is not None:
        _category, rows = first
        charts.comparison_bars(rows, rows["unit"].iloc[0], "zh").to_json()
