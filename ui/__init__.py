"""Streamlit building blocks shared by the pages: filters, charts, exports, packs, sign-in."""
