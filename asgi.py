"""Server entry: ``streamlit run asgi.py``.

Wraps the Streamlit script ``app.py`` in ``st.App`` to add the login/logout routes (HttpOnly
session cookie), the redirect of anonymous page loads to the login form, and the JSON API
(FastAPI, ``web/api``) mounted at ``/api/v1``: one process, one start-up.
"""

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Mount

from web.api.app import API_PREFIX, api
from web.auth_routes import LoginRedirectMiddleware, routes

app = st.App(
    "app.py",
    routes=[*routes, Mount(API_PREFIX, app=api)],
    middleware=[Middleware(LoginRedirectMiddleware)],
)
