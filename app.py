import streamlit as st

st.title("Neo Batch Trader")
st.write("The dashboard is coming; use `python -m execution run` meanwhile.")
