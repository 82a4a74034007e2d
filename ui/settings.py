"""Settings shared by every page: the language, projector mode and the random seed.

They are drawn once, in the sidebar, by the entry point (``app.py``) before the page runs, so
they exist on every page and keep their values across page switches. Pages read them with
``current()``, which also works when a page runs on its own (tests): it falls back to defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from figures.style import Style
from i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    _,
    current_language,
    negotiate,
    set_language_source,
)
from ui.params import Lesson, Param
from ui.url import sync
from ui.widgets import draw

LANG, PRESENT, SEED = "lang", "present", "seed"
MAX_SEED = 9999
SHARED = Lesson(
    "shared",
    (
        # Each language by its own name, untranslated: a learner looks for the one they read.
        Param(LANG, "choice", "en", choices=LANGUAGES,
              labels=tuple(LANGUAGE_NAMES[k] for k in LANGUAGES), translate_labels=False,
              label=N_("Language"),
              help=N_("The language of every page, its charts included (also in a link: "
                      "?lang=pl). Opened without one, the lab follows the browser's language.")),
        Param(PRESENT, "bool", False, label=N_("Projector mode"),
              help=N_("Large fonts, thick lines and big markers for a classroom projector "
                      "(also in a link: ?present=true).")),
        Param(SEED, "int", 0, 0, MAX_SEED, label=N_("Random seed"),
              help=N_("Seeds every random choice (noise, batches), so a link reproduces a "
                      "run.")),
    ),
    keep_unlinked=True,
)  # fmt: skip

# Every mode: the page starts near the top (Streamlit leaves 6rem), so the stage — the controls
# and the main chart with its playback — fits the first screen of a 1366×768 laptop.
BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; padding-bottom: 3rem; }
[data-testid="stMainBlockContainer"] h1 { padding-top: 0; padding-bottom: 0.25rem; }
/* The page menu wraps a long title (Polish is long) instead of cutting it off. */
[data-testid="stSidebarNavLink"] span[label], [data-testid="stSidebarNavLink"] p,
[data-testid="stSidebarNavLink"] .stMarkdownEllipsis {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  -webkit-line-clamp: unset !important; line-height: 1.25; }
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
</style>
"""

PROJECTOR_CSS = """
<style>
/* Every visible text at least 22 px (tests/test_browser.py measures the whole page): besides
   text and labels, Streamlit's own smaller sizes (slider values, notice boxes and their code,
   the link box, menus, tooltips, metrics); formulas at 32 px, so that their exponents (70 %)
   are 22 px; Plotly's exponents (70 % of a power-of-ten tick) raised to 22 px. */
.stMarkdown p, .stMarkdown li, .stMarkdown code, label, label p, button, button p, input,
textarea, [data-testid="stWidgetLabel"] p, [data-testid="stCaptionContainer"] p,
[data-testid="stPageLink"] p, [data-testid="stSidebarNav"] span, summary p, summary span,
[data-testid="stSliderThumbValue"], [data-testid="stSliderThumbValue"] *,
[data-testid="stSliderTickBar"], [data-testid="stSliderTickBar"] *,
[data-testid="stAlertContainer"] *, [data-testid="stTooltipContent"] *,
[data-testid="stSelectboxVirtualDropdown"] *, [role="listbox"] *,
[data-testid="stCode"] pre, [data-testid="stCode"] code, [data-testid="stCode"] code *,
[data-testid="stExpander"] summary *, [data-testid="stTab"] *, [data-testid="stMetricLabel"] *,
[data-testid="stMetricDelta"] *, [data-testid="stNumberInput"] *,
[data-testid="stDownloadButton"] *, [data-testid="stButtonGroup"] *,
[data-testid="stSpinner"] *, [data-testid="stStatusWidget"] *, [data-testid="stToast"] *,
[data-testid="stFileUploaderDropzoneInstructions"] *, [data-testid="stFileUploader"] small,
[data-testid="stTable"] * {
  font-size: 22px !important;
}
.katex { font-size: 32px !important; }
.js-plotly-plot .main-svg tspan[style*="font-size:70%"] { font-size: max(70%, 22px) !important; }
h1, h1 * { font-size: 52px !important; } h2, h2 * { font-size: 40px !important; }
h3, h3 * { font-size: 32px !important; }
</style>
"""


def session_language() -> str | None:
    """The session's language setting (None outside a running session: tests, benchmarks)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    code = st.session_state.get(LANG)
    return code if isinstance(code, str) else None


set_language_source(session_language)


def prepare_language() -> None:
    """Before anything is drawn on a session's first run: its language from the link when it
    names an offered one, else the browser's language if it is offered, else English (so the
    menu and the first run are already in it). The link's notice, if its value is bad, comes
    with the other shared settings'."""
    if isinstance(st.session_state.get(LANG), str):
        return
    param = SHARED.param(LANG)
    try:
        st.session_state[LANG] = param.parse(st.query_params[LANG])
    except (KeyError, ValueError):
        st.session_state[LANG] = negotiate(st.context.locale)


@dataclass(frozen=True)
class Settings:
    projector: bool
    seed: int
    lang: str = "en"

    @property
    def style(self) -> Style:
        style = Style.projector_mode() if self.projector else Style()
        return style.in_language(self.lang)


def render_shared_settings(from_link: bool) -> tuple[Settings, list[str]]:
    """Draw the shared settings in the sidebar; return them and any URL notices. A page's first
    run in a session (``from_link``) takes the link's values."""
    # Every page's own keys are reported by that page; here only the shared ones are read.
    notices = sync(SHARED, from_link, report_unknown=False)
    with st.sidebar:
        st.html(BASE_CSS)  # in the sidebar: a style element in the main column adds a gap
        st.markdown("### " + _("Settings for every page"))
        for param in SHARED.params:
            draw(param)
    settings = current()
    if settings.projector:
        st.html(PROJECTOR_CSS)
    return settings, notices


def current() -> Settings:
    """The shared settings (defaults when the sidebar has not been drawn)."""
    return Settings(
        projector=bool(st.session_state.get(PRESENT, False)),
        seed=int(st.session_state.get(SEED, 0)),
        lang=current_language(),
    )
