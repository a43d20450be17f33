"""Topic clustering for research-paper lists: readers, embedding, topics, themes, trends, exports.

This package never imports streamlit; the dashboard is a thin layer over it.
"""
