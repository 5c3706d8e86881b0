"""Business rules of Giao việc. Nothing here imports Streamlit."""
