"""The app shell: page configuration, navigation, and the settings every page shares.

``main()`` is all of ``app.py``. It lives here so that tests can start the same shell from an
entry script outside the repository root (Streamlit's legacy ``pages/`` discovery only looks
next to the entry script), and so that a page run without it can start it (``ensure_shell``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.settings import render_shared_settings
from ui.url import show_notices

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "pages"


def pages() -> list[st.Page]:
    """The pages in menu order. Each URL path is its file's name, which is also what the legacy
    discovery calls it, so a link resolves to the same page either way (see ensure_shell)."""
    return [
        st.Page(PAGES_DIR / "home.py", title="Home", icon=":material/home:", default=True),
        st.Page(
            PAGES_DIR / "rolling_ball.py",
            title="The rolling ball",
            icon=":material/sports_baseball:",
            url_path="rolling_ball",
        ),
        st.Page(
            PAGES_DIR / "race.py",
            title="The optimizer race",
            icon=":material/flag:",
            url_path="race",
        ),
        st.Page(
            PAGES_DIR / "sum_or_mean.py",
            title="Sum or mean?",
            icon=":material/functions:",
            url_path="sum_or_mean",
        ),
    ]


_INSIDE = "_descent_lab_inside_shell"


def main() -> None:
    """Configure the page, draw the shared settings in the sidebar, run the chosen page."""
    st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
    navigation = st.navigation(pages())
    _, notices = render_shared_settings()
    show_notices(notices)
    st.session_state[_INSIDE] = True
    try:
        navigation.run()
    finally:
        st.session_state[_INSIDE] = False


def ensure_shell() -> None:
    """Every page calls this first. Until some session has run ``st.navigation``, a fresh
    server uses Streamlit's legacy discovery of ``pages/``, and a link that names a page runs
    that page alone — no menu, no shared settings. Then this runs the shell (which runs the
    page again, inside it) and ends the outer run."""
    if not st.session_state.get(_INSIDE, False):
        main()
        st.stop()
