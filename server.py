"""The launcher `make run` starts: the dashboard (app.py) and the data API, on one port.

`streamlit run server.py` finds `app` below and serves it with uvicorn; the routes and the
middleware it adds live in redengine/web/routes.py, and redengine/web/nodelay.py fixes how its connections
send. `streamlit run app.py` still serves the dashboard alone, without the API.
"""

import streamlit as st

from redengine.web import nodelay
from redengine.web import routes as web

nodelay.serve_without_delay()  # before the first connection: Streamlit's server leaves Nagle's algorithm on
app = st.App("app.py", routes=web.ROUTES, middleware=web.MIDDLEWARE, lifespan=web.lifespan)
