"""Settings shared by every page: projector mode and the random seed.

They are drawn once, in the sidebar, by the entry point (``app.py``) before the page runs, so
they exist on every page and keep their values across page switches. Pages read them with
``current()``, which also works when a page runs on its own (tests): it falls back to defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from figures.style import Style
from ui.url import Param, sanitize

PRESENT, SEED = "present", "seed"
MAX_SEED = 9999
PARAMS = (Param(PRESENT, "bool", False), Param(SEED, "int", 0, 0, MAX_SEED))

PROJECTOR_CSS = """
<style>
.stMarkdown p, .stMarkdown li, label, label p, button, button p, input, textarea,
[data-testid="stWidgetLabel"] p, [data-testid="stCaptionContainer"] p,
[data-testid="stPageLink"] p, [data-testid="stSidebarNav"] span, summary p, summary span {
  font-size: 22px !important;
}
h1, h1 * { font-size: 52px !important; } h2, h2 * { font-size: 40px !important; }
h3, h3 * { font-size: 32px !important; }
</style>
"""


@dataclass(frozen=True)
class Settings:
    projector: bool
    seed: int

    @property
    def style(self) -> Style:
        return Style.projector_mode() if self.projector else Style()


def render_shared_settings() -> tuple[Settings, list[str]]:
    """Draw the shared settings in the sidebar; return them and any URL notices."""
    notices = sanitize(PARAMS)
    with st.sidebar:
        st.markdown("### Settings for every page")
        st.toggle(
            "Projector mode",
            key=PRESENT,
            bind="query-params",
            help="Large fonts, thick lines and big markers for a classroom projector "
            "(also in a link: ?present=1).",
        )
        st.number_input(
            "Random seed",
            min_value=0,
            max_value=MAX_SEED,
            step=1,
            key=SEED,
            bind="query-params",
            help="Seeds every random choice (noise, batches), so a link reproduces a run.",
        )
    settings = current()
    if settings.projector:
        st.html(PROJECTOR_CSS)
    return settings, notices


def current() -> Settings:
    """The shared settings (defaults when the sidebar has not been drawn)."""
    return Settings(
        projector=bool(st.session_state.get(PRESENT, False)),
        seed=int(st.session_state.get(SEED, 0)),
    )
