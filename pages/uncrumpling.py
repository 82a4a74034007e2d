"""Lesson: Uncrumpling the paper ball — each layer as a geometric transformation of the data."""

from __future__ import annotations

import streamlit as st

from ui.panels import chart, lesson_start, link_box, stage, stage_style
from ui.runs import preset_picker
from ui.uncrumpling.compute import (
    boundary_chart,
    check,
    cut_chart,
    morph_chart,
    own_points_missing,
    own_points_note,
    separability_chart,
    setup_from,
    snapshots,
    stage_names,
    view,
)
from ui.uncrumpling.controls import data_panel, network_panel, training_panel
from ui.uncrumpling.params import LESSON, WATCH, P, matching_preset
from ui.uncrumpling.text import (
    CANNOT,
    INTRO,
    PULLBACK_NOTE,
    READ_NOTE,
    SEPARABILITY_NOTE,
    separability_sentence,
)
from ui.url import values
from ui.widgets import draw

settings = lesson_start("Uncrumpling the paper ball", INTRO, LESSON)
param = LESSON.param
controls, main = stage(0.9, 2.5)
with controls:
    preset_picker(LESSON)
    data_panel()
    network_panel()
    progress = int(draw(param(f"{P}progress")))
    training_panel()

missing = own_points_missing(values(LESSON))
if missing:
    with main:
        st.info(missing, icon=":material/touch_app:")
    link_box(LESSON)
    st.stop()

note = own_points_note(values(LESSON))
if note:
    with main:
        st.caption(note)
setup = setup_from(values(LESSON))
try:
    for net in setup.nets:
        check(net)
except ValueError as err:
    with main:
        st.error(f"This network cannot be drawn as a sequence of planes: {err}",
                 icon=":material/error:")  # fmt: skip
    st.stop()

with main:
    with st.spinner("Training…"):
        for net in setup.nets:
            snapshots(net)
    narrow = len(setup.nets) > 1
    columns = st.columns(len(setup.nets)) if narrow else [st.container()]
    style = stage_style(settings)
    style = style.with_height(style.height - (20 if settings.projector else 80))
    for column, net, label in zip(columns, setup.nets, setup.labels, strict=True):
        v = view(net, progress)
        with column:
            st.markdown(f"**{label + ': the' if label else 'The'} network after {v.step} steps "
                        f"({progress} % of training)**")  # fmt: skip
            chart(morph_chart(net, progress, bool(values(LESSON)[f"{P}grid"]), style, narrow),
                  f"{P}morph_{label or 'a'}",
                  f"The data and the grid moved stage by stage through {net.layers} layers of "
                  f"{net.width} {net.activation} units {label}")  # fmt: skip
    watched = matching_preset(values(LESSON))
    if watched is not None:
        st.info(f"**What to watch** — {WATCH[watched]}", icon=":material/visibility:")
    for net, label in zip(setup.nets, setup.labels, strict=True):
        scores = [s.separability for s in view(net, progress).stages]
        st.markdown(separability_sentence(label, stage_names(net), scores))
    st.caption(READ_NOTE)
    draw(param(f"{P}grid"))

st.header("The straight cut, pulled back")
for net, label in zip(setup.nets, setup.labels, strict=True):
    left, right = st.columns(2)
    suffix = f" ({label})" if label else ""
    with left:
        st.markdown(f"**The input plane: the curved decision boundary{suffix}**")
        chart(boundary_chart(net, progress, settings.style), f"{P}boundary_{label or 'a'}",
              f"The decision boundary in the input plane{suffix}")  # fmt: skip
    with right:
        st.markdown(f"**The last layer's output: the straight cut{suffix}**")
        chart(cut_chart(net, progress, settings.style), f"{P}cut_{label or 'a'}",
              f"The last hidden layer's output with the output's straight cut{suffix}")  # fmt: skip
st.caption(PULLBACK_NOTE)

st.header("A straight cut at every stage")
for net, label in zip(setup.nets, setup.labels, strict=True):
    if label:
        st.subheader(label)
    suffix = f" ({label})" if label else ""
    chart(separability_chart(net, progress, settings.style), f"{P}sep_{label or 'a'}",
          f"The best straight cut's accuracy at every stage{suffix}")  # fmt: skip
st.caption(SEPARABILITY_NOTE)
st.markdown(CANNOT)
link_box(LESSON)
