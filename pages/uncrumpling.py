"""Lesson: Uncrumpling the paper ball — each layer as a geometric transformation of the data."""

from __future__ import annotations

import streamlit as st

from i18n import _, message
from ui.panels import chart, lesson_start, link_box, stage, stage_style
from ui.runs import preset_picker
from ui.uncrumpling.compute import (
    activation_name,
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
    INTRO,
    PULLBACK_NOTE,
    READ_NOTE,
    SEPARABILITY_NOTE,
    boundary_alt,
    boundary_title,
    cannot,
    cut_alt,
    cut_title,
    heading,
    morph_alt,
    separability_alt,
    separability_sentence,
)
from ui.url import values
from ui.widgets import draw

settings = lesson_start(_("Uncrumpling the paper ball"), _(INTRO), LESSON)
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
        st.error(_("This network cannot be drawn as a sequence of planes: {reason}").format(
            reason=message(err)), icon=":material/error:")  # fmt: skip
    st.stop()

with main:
    with st.spinner(_("Training…")):
        for net in setup.nets:
            snapshots(net)
    narrow = len(setup.nets) > 1
    columns = st.columns(len(setup.nets)) if narrow else [st.container()]
    style = stage_style(settings)
    style = style.with_height(style.height - (20 if settings.projector else 80))
    for column, net, label in zip(columns, setup.nets, setup.labels, strict=True):
        v = view(net, progress)
        with column:
            st.markdown(heading(label, v.step, progress))
            chart(morph_chart(net, progress, bool(values(LESSON)[f"{P}grid"]), style, narrow),
                  f"{P}morph_{label or 'a'}",
                  morph_alt(label, net.layers, net.width, activation_name(net)))  # fmt: skip
    watched = matching_preset(values(LESSON))
    if watched is not None:
        st.info(_("**What to watch** — {watch}").format(watch=_(WATCH[watched])),
                icon=":material/visibility:")  # fmt: skip
    for net, label in zip(setup.nets, setup.labels, strict=True):
        scores = [s.separability for s in view(net, progress).stages]
        st.markdown(separability_sentence(_(label) if label else "", stage_names(net), scores))
    st.caption(_(READ_NOTE))
    draw(param(f"{P}grid"))

st.header(_("The straight cut, pulled back"))
for net, label in zip(setup.nets, setup.labels, strict=True):
    left, right = st.columns(2)
    with left:
        st.markdown(boundary_title(label))
        chart(boundary_chart(net, progress, settings.style), f"{P}boundary_{label or 'a'}",
              boundary_alt(label))  # fmt: skip
    with right:
        st.markdown(cut_title(label))
        chart(cut_chart(net, progress, settings.style), f"{P}cut_{label or 'a'}",
              cut_alt(label))  # fmt: skip
st.caption(_(PULLBACK_NOTE))

st.header(_("A straight cut at every stage"))
for net, label in zip(setup.nets, setup.labels, strict=True):
    if label:
        st.subheader(_(label))
    chart(separability_chart(net, progress, settings.style), f"{P}sep_{label or 'a'}",
          separability_alt(label))  # fmt: skip
st.caption(_(SEPARABILITY_NOTE))
st.markdown(cannot())
link_box(LESSON)
