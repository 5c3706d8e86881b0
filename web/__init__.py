"""HTTP pieces around the Streamlit script: login/logout routes and the login redirect."""
