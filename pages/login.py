"""Shown to a visitor without a session (the login form itself is served at /auth/login)."""

import streamlit as st

st.title("Giao việc")
st.write("Phần mềm quản lý giao việc của các cơ quan nhà nước trên địa bàn tỉnh.")
st.info("Bạn chưa đăng nhập hoặc phiên đăng nhập đã hết hạn.")
st.link_button("Đăng nhập", "/auth/login", type="primary")
