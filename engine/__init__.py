"""Descent Lab's optimization engine: NumPy only, pure functions, float64 throughout.

Parameters are arrays with coordinates on the last axis; every leading axis is an independent
run, so one call serves a point ``(dim,)``, a batch of runs ``(K, dim)`` and a plot grid
``(H, W, dim)``. This package imports neither streamlit nor plotly.
"""
