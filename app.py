"""Descent Lab — the Streamlit entry point. Run with ``streamlit run app.py``."""

from ui.shell import main

main()
