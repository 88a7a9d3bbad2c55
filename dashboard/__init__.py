"""Streamlit glue shared by the pages: state keys, the run registry and figures."""
