"""The baseline the benchmarks measure the dashboard beside: a bare Streamlit page, a title and a paragraph."""

import streamlit as st

st.title("Bare Streamlit page")
st.write("A paragraph of text, the least a Streamlit page draws: the baseline for reruns and first views.")
