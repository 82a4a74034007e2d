"""Streamlit helpers shared by the pages (see each module).

Plotly imports pandas lazily, when it builds its first figure, and Streamlit when it draws its
first table. On a fresh server, two sessions doing both at once raced on that import: one of
them got pandas half initialised ("partially initialized module 'pandas' has no attribute
'Series'", two browsers opening the backprop page together). Every session's script imports
this package before anything that draws, so pandas is imported here, whole, once.
"""

import pandas  # noqa: F401
