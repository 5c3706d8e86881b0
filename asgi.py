"""Server entry: ``streamlit run asgi.py``.

Wraps the Streamlit script ``app.py`` in ``st.App`` to add the login/logout routes (HttpOnly
session cookie) and the redirect of anonymous page loads to the login form.
"""

import streamlit as st
from starlette.middleware import Middleware

from web.auth_routes import LoginRedirectMiddleware, routes

app = st.App("app.py", routes=routes, middleware=[Middleware(LoginRedirectMiddleware)])
