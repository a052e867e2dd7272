"""bare_app.py served the way `make run` serves the dashboard (st.App, as server.py), for the first-view baseline."""

import streamlit as st

app = st.App("bare_app.py")
