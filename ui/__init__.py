"""Streamlit helpers shared by the pages (runtime, current user, formatting). No rules here."""
