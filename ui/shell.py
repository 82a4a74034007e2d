"""The app shell: page configuration, navigation, and the settings every page shares.

``main()`` is all of ``app.py``. It lives here so that tests can start the same shell from an
entry script outside the repository root: Streamlit's legacy ``pages/`` discovery (which runs a
page without this shell) only looks next to the entry script.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.settings import render_shared_settings
from ui.url import show_notices

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "pages"


def pages() -> list[st.Page]:
    """The pages in menu order. URL paths differ from file names on purpose: a link that opens
    a lesson directly must not match the legacy discovery of ``pages/``."""
    return [
        st.Page(PAGES_DIR / "home.py", title="Home", icon=":material/home:", default=True),
        st.Page(
            PAGES_DIR / "rolling_ball.py",
            title="The rolling ball",
            icon=":material/sports_baseball:",
            url_path="rolling-ball",
        ),
        st.Page(
            PAGES_DIR / "race.py",
            title="The optimizer race",
            icon=":material/flag:",
            url_path="optimizer-race",
        ),
        st.Page(
            PAGES_DIR / "sum_or_mean.py",
            title="Sum or mean?",
            icon=":material/functions:",
            url_path="sum-or-mean",
        ),
    ]


def main() -> None:
    """Configure the page, draw the shared settings in the sidebar, run the chosen page."""
    st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
    navigation = st.navigation(pages())
    _, notices = render_shared_settings()
    show_notices(notices)
    navigation.run()
