"""The JSON API under /api/v1 (FastAPI), served by the same process as the pages (``asgi.py``)."""
