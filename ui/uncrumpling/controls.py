"""The "Uncrumpling the paper ball" lesson's control panels."""

from __future__ import annotations

import streamlit as st

from i18n import _, ngettext, number
from ui.training.params import LESSON as TRAINING
from ui.training.points import decode_points
from ui.uncrumpling.params import LESSON, MAX_STEPS, OWN, P, max_epochs
from ui.url import set_values, values
from ui.widgets import draw

param = LESSON.param


def _copy_points() -> None:
    """Take the points added by hand on "What is training?" (this session's, or its defaults)."""
    set_values(LESSON, {f"{P}pts": str(values(TRAINING)["tr_pts"]), f"{P}data": OWN})


def data_panel() -> None:
    """The dataset, and the learner's own points."""
    draw(param(f"{P}data"))
    mine = len(decode_points(str(values(LESSON)[f"{P}pts"])))
    theirs = len(decode_points(str(values(TRAINING)["tr_pts"])))
    if values(LESSON)[f"{P}data"] == OWN or theirs:
        label = _("Use my points from {page} ({count})").format(
            page=_("What is training?"), count=theirs
        )
        tip = ngettext(
            "{n} point in this lesson's link now.", "{n} points in this lesson's link now.", mine
        ).format(n=mine)
        st.button(label, key=f"{P}use_points", on_click=_copy_points, disabled=theirs == 0,
                  help=tip)  # fmt: skip


def network_panel() -> None:
    """The narrow network and what is compared side by side."""
    c1, c2 = st.columns(2)
    draw(param(f"{P}layers"), c1)
    draw(param(f"{P}width"), c2)
    c3, c4 = st.columns(2)
    draw(param(f"{P}act"), c3)
    draw(param(f"{P}compare"), c4)


def training_panel() -> None:
    """How it is trained and on what, folded away."""
    with st.expander(_("Training and data"), key=f"{P}training_panel"):
        c1, c2 = st.columns(2)
        most = max_epochs(values(LESSON))
        tip = ngettext("Passes over the training set; at most {most} here ({steps} step).",
                       "Passes over the training set; at most {most} here ({steps} steps).",
                       MAX_STEPS).format(most=most, steps=number(MAX_STEPS, ","))  # fmt: skip
        draw(param(f"{P}epochs"), c1, high=most, help=tip)
        draw(param(f"{P}init_seed"), c2)
        draw(param(f"{P}lr"))
        c3, c4, c5 = st.columns(3)
        draw(param(f"{P}n"), c3)
        draw(param(f"{P}noise"), c4)
        draw(param(f"{P}data_seed"), c5)
