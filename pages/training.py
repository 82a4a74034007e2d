"""Lesson: What is training? The training loop on toy classifiers, run by the learner."""

from __future__ import annotations

import streamlit as st

from i18n import _, message, number
from ui.panels import chart, lesson_start, link_box, refresh_link, stage, stage_style
from ui.runs import preset_picker
from ui.training.charts import blank_chart, layer_names, network_chart, stage_chart, step_chart
from ui.training.compute import (
    check_budget,
    dataset,
    own_points_missing,
    setup_from,
    stop_frames,
    training,
)
from ui.training.controls import (
    data_panel,
    network_panel,
    stage_controls,
    take_click,
    training_panel,
    upload_in_use,
)
from ui.training.downloads import download_buttons
from ui.training.params import LESSON, WATCH, P, matching_preset
from ui.training.text import (
    AB_NOTE,
    CONCLUSION,
    INTRO,
    LOOP,
    STEP_NOTE,
    THUMBS_NOTE,
    UPLOAD_NOTE,
    divergence_note,
    final_line,
    step_summary,
    verdict,
)
from ui.training.view import STAGE_KEY, compared_name, picker_trace, stage_alt
from ui.url import values
from ui.widgets import draw

settings = lesson_start(_("What is training?"), _(INTRO), LESSON)
param = LESSON.param
controls, main = stage(1.0, 2.2)
with controls:
    preset_picker(LESSON)
    watched = matching_preset(values(LESSON))
    if watched is not None:
        st.info(_("**What to watch** — {watch}").format(watch=_(WATCH[watched])),
                icon=":material/visibility:")  # fmt: skip
    stage_controls()
    data_panel()
    network_panel()
    training_panel()

missing = None if upload_in_use() else own_points_missing(values(LESSON))
if missing:
    with main:
        st.info(missing, icon=":material/touch_app:")
        blank = blank_chart(str(values(LESSON)[f"{P}pts"]), stage_style(settings))
        st.plotly_chart(blank, key=STAGE_KEY, config={"displaylogo": False}, theme=None,
                        on_select=take_click(STAGE_KEY, picker_trace()),
                        selection_mode="points")  # fmt: skip
    link_box(LESSON)
    st.stop()

try:
    setup = setup_from(values(LESSON), settings.seed, upload_in_use())
    data = dataset(setup.data)
    check_budget(setup)
except ValueError as err:
    with main:
        st.error(_("These settings cannot be trained: {reason}").format(reason=message(err)),
                 icon=":material/error:")  # fmt: skip
    st.stop()

classification = data.task == "classification"
with main:
    with st.spinner(_("Training…")):
        result = training(setup)
    view = stage_chart(setup, str(values(LESSON)[f"{P}x"]), bool(values(LESSON)[f"{P}disc"]),
                       stage_style(settings))  # fmt: skip
    st.plotly_chart(view, key=STAGE_KEY, config={"displaylogo": False, "scrollZoom": False},
                    theme=None, on_select=take_click(STAGE_KEY, picker_trace()),
                    selection_mode="points")  # fmt: skip
    st.caption(stage_alt(setup))
    x_col, disc_col = st.columns([2, 1])
    draw(param(f"{P}x"), x_col)
    draw(param(f"{P}disc"), disc_col)
    lines = [final_line(result, k, label, classification) for k, label in enumerate(setup.labels)]
    st.markdown(" · ".join(lines))
    for k, label in enumerate(setup.labels):
        note = divergence_note(result, k, label, setup.runs[k].optimizer.hparams.get("lr", 0.0))
        if note:
            st.warning(note, icon=":material/warning:")
    for k, frame in enumerate(stop_frames(result, setup.stop)):
        if frame is not None:
            st.info(_("Run {run} stopped at step {step}: its training loss fell below "
                      "{stop}.").format(run=setup.labels[k], step=int(result.frame_steps[frame, k]),
                                        stop=number(setup.stop, "g")),
                    icon=":material/stop_circle:")  # fmt: skip
    if len(setup.runs) > 1:
        st.markdown(verdict(result, setup.labels, compared_name(setup), classification))
        st.caption(_(AB_NOTE))

st.markdown(_(LOOP))


@st.fragment
def neurons_section() -> None:
    """Every neuron's output over the plane at a chosen moment of training."""
    st.header(_("Inside the network"))
    if not draw(param(f"{P}thumbs")):
        refresh_link(LESSON)
        return
    progress = int(draw(param(f"{P}progress")))
    runs = setup.labels if len(setup.runs) > 1 else ("A",)
    k = 0 if len(runs) == 1 else runs.index(st.segmented_control(
        _("Run"), runs, default=runs[0], key=f"{P}thumb_run") or runs[0])  # fmt: skip
    figure, step = network_chart(setup, k, progress, settings.style)
    chart(figure, f"{P}network", _("Each neuron's output over the plane at step {step} of run "
                                   "{run}, with the weights between layers").format(
        step=step, run=runs[k]))  # fmt: skip
    st.caption(_(THUMBS_NOTE))
    refresh_link(LESSON)


@st.fragment
def step_section() -> None:
    """One iteration of run A, in four steps, at a chosen optimizer step."""
    st.header(_("One step of the loop, up close"))
    last = int(result.n_steps[0]) - 1
    step = int(draw(param(f"{P}step"), high=last,
                    help=_("From 0 to {last}: run A's steps.").format(last=last)))  # fmt: skip
    figure, detail = step_chart(setup, 0, step, settings.style)
    st.markdown(step_summary(detail, setup.runs[0].reduction, layer_names(setup, 0)))
    chart(figure, f"{P}stepfig", _("Step {step} of run A: the batch, the forward pass, the "
                                   "gradient per layer and the update per layer").format(
        step=step))  # fmt: skip
    st.caption(_(STEP_NOTE))
    refresh_link(LESSON)


neurons_section()
step_section()
st.header(_("Take it with you"))
download_buttons(setup, result, view)
st.markdown(_(CONCLUSION))
if upload_in_use():
    st.info(_(UPLOAD_NOTE), icon=":material/upload_file:")
link_box(LESSON)
