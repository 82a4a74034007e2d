"""The app shell: page configuration, navigation, and the settings every page shares.

``main()`` is all of ``app.py``. It lives here so that tests can start the same shell from an
entry script outside the repository root (Streamlit's legacy ``pages/`` discovery only looks
next to the entry script), and so that a page run without it can start it (``ensure_shell``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from figures.animation import PLAYBACK_GUARD_JS
from i18n import N_, _
from ui.params import Lesson
from ui.settings import SHARED, prepare_language, render_shared_settings
from ui.url import publish, sync

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "pages"


# The lessons in menu order: URL path (also the page's file name), menu title, icon.
LESSON_PAGES = (
    ("rolling_ball", N_("The rolling ball"), ":material/sports_baseball:"),
    ("race", N_("The optimizer race"), ":material/flag:"),
    ("sum_or_mean", N_("Sum or mean?"), ":material/functions:"),
    ("training", N_("What is training?"), ":material/model_training:"),
    ("uncrumpling", N_("Uncrumpling the paper ball"), ":material/texture:"),
    ("backprop", N_("Backpropagation"), ":material/account_tree:"),
)


def pages() -> list[st.Page]:
    """The pages in menu order. Each URL path is its file's name, which is also what the legacy
    discovery calls it, so a link resolves to the same page either way (see ensure_shell).
    Titles are in the session's language (the menu and the browser tab)."""
    home = st.Page(PAGES_DIR / "home.py", title=_("Home"), icon=":material/home:", default=True)
    return [home] + [
        st.Page(PAGES_DIR / f"{path}.py", title=_(title), icon=icon, url_path=path)
        for path, title, icon in LESSON_PAGES
    ]


_INSIDE = "_descent_lab_inside_shell"
_LOADED = "_pages_loaded"  # pages whose first run in this session has read the link
_SHARED_NOTICES = "_shared_notices"  # this run's notices about the shared settings' link values


def main() -> None:
    """Configure the page, draw the shared settings in the sidebar, run the chosen page."""
    st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
    prepare_language()
    navigation = st.navigation(pages())
    first_run = (navigation.url_path or "home") not in st.session_state.get(_LOADED, set())
    _, notices = render_shared_settings(first_run)
    # Plotly's Pause rejects the interrupted Play's promise with no reason; without this the
    # browser reports an "undefined" page error (figures.animation.PLAYBACK_GUARD_JS).
    with st.sidebar:
        st.html(f"<script>{PLAYBACK_GUARD_JS}</script>", unsafe_allow_javascript=True)
    st.session_state[_SHARED_NOTICES] = notices
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


def open_page(lesson: Lesson) -> list[str]:
    """Start a page inside the shell: bring its parameters in from the link or the session,
    write the whole state (shared settings and the page's) into the URL, and return every
    notice about the link for the page to show under its title."""
    ensure_shell()
    loaded: set[str] = st.session_state.setdefault(_LOADED, set())
    notices = list(st.session_state.pop(_SHARED_NOTICES, []))
    notices += sync(lesson, lesson.name not in loaded, known=every_key())
    loaded.add(lesson.name)
    publish(SHARED, lesson)
    return notices


def every_key() -> set[str]:
    """The parameter keys of every page: a link may carry another page's (ignored quietly);
    anything else is reported as unknown."""
    from ui.backprop.params import LESSON as BACKPROP
    from ui.race.params import LESSON as RACE  # imported here: these import the shell's users
    from ui.rolling_ball.params import LESSON as BALL
    from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN
    from ui.training.params import LESSON as TRAINING
    from ui.uncrumpling.params import LESSON as UNCRUMPLING

    lessons = (SHARED, RACE, BALL, SUM_OR_MEAN, TRAINING, UNCRUMPLING, BACKPROP)
    return {k for lesson in lessons for k in lesson.keys}
