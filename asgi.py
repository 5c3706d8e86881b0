"""Server entry: ``streamlit run asgi.py``.

Wraps the Streamlit script ``app.py`` in ``st.App`` to add the login/logout routes (HttpOnly
session cookie), the redirect of anonymous page loads to the login form, the security headers on
every answer (and ``/_stcore/metrics`` closed), the download of attached files (``/tep/{id}``,
``web/attachment_routes.py``), the public page of Điều 6 (``/cong-khai``, no login,
``web/public_routes.py``), and the JSON API (FastAPI, ``web/api``) mounted
at ``/api/v1``: one process, one start-up.
"""

import faulthandler
import os

# Arrow's buffers (every st.dataframe, pandas' text columns) from the C library's allocator, not
# the mimalloc pyarrow bundles: mimalloc's per-thread heaps have crashed processes whose threads
# come and go, as Streamlit's script threads do (apache/arrow#50908). Before pyarrow is loaded
# (the variable), and again after (the pool), whichever module loaded it first.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import pyarrow
import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Mount
from streamlit.runtime.pages_manager import PagesManager

from services.plugins import discover_at_start
from ui.errors import on_script_error
from web.api.app import API_PREFIX, api
from web.attachment_routes import routes as attachment_routes
from web.auth_routes import LoginRedirectMiddleware, routes
from web.public_routes import routes as public_routes
from web.security_headers import SecurityHeadersMiddleware

# A crash inside a C extension (a segmentation fault) kills the process with no Python traceback;
# with this, every thread's stack goes to stderr first, so the log says which code was running.
faulthandler.enable()
pyarrow.set_memory_pool(pyarrow.system_memory_pool())

# app.py declares its pages with st.navigation. Streamlit, seeing a ``pages/`` folder next to it,
# would take the first session of each process for an old folder-based app and answer a deep
# link (/giam-sat) with a "Page not found" dialog before st.navigation runs; the folder holds the
# st.navigation scripts, so say so before the first session starts.
PagesManager.uses_pages_directory = False

# Phần mở rộng: the plugins are found when the process starts, so a broken one is in the log now
# (and listed on the page), not at the first page that needs one.
discover_at_start()

app = st.App(
    "app.py",
    routes=[*routes, *attachment_routes, *public_routes, Mount(API_PREFIX, app=api)],
    # The first is the outermost: every answer gets the headers, the login redirects included.
    middleware=[Middleware(SecurityHeadersMiddleware), Middleware(LoginRedirectMiddleware)],
    # an error run_page (app.py) cannot catch still becomes an incident id, never a traceback
    on_script_error=on_script_error,
)
