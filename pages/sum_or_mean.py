"""Lesson: Sum or mean? Batch size, gradient reduction and the learning rate."""

from __future__ import annotations

import numpy as np
import streamlit as st

from i18n import _
from ui.panels import chart, lesson_start, link_box, refresh_link, stage, stage_style
from ui.runs import preset_picker
from ui.sum_or_mean.charts import (
    cloud_chart,
    curves_chart,
    l2_chart,
    map_chart,
    noise_scale_chart,
    paths_chart,
)
from ui.sum_or_mean.compute import ab_runs, adaptive_comparison
from ui.sum_or_mean.params import (
    LESSON,
    MATCH_NOTICE,
    X_AXES,
    X_AXIS_NAMES,
    P,
    more_controls,
    setup_from,
    stage_controls,
)
from ui.sum_or_mean.text import (
    ADAPTIVE_NOTE,
    EPOCHS_HINT,
    INTRO,
    conclusion,
    different_batches_note,
    divergence_notes,
    effective_lr_text,
    noise_scale_note,
    pair_verdict,
    ragged_batch_note,
    run_labels,
)
from ui.url import values
from ui.widgets import draw

settings = lesson_start(_("Sum or mean?"), _(INTRO), LESSON)
style = settings.style
param = LESSON.param
controls, main = stage(1.0, 2.0)
with controls:
    preset_picker(LESSON)
    stage_controls()
    more_controls()
    if MATCH_NOTICE in st.session_state:
        st.info(st.session_state.pop(MATCH_NOTICE), icon=":material/info:")
setup = setup_from(values(LESSON), settings.seed)
a_label, b_label = run_labels(setup)
with controls:
    st.markdown(effective_lr_text("A", setup.optimizer, setup.lr_a, setup.batch, setup.red_a))
    st.markdown(effective_lr_text("B", setup.optimizer, setup.lr_b, setup.batch_b, setup.red_b))

with main:
    with st.spinner(_("Running A and B on the same batches…")):
        traj = ab_runs(setup)
    paths = paths_chart(setup, (a_label, b_label), stage_style(settings))
    chart(paths, f"{P}paths", _("Animated paths of run {a} and run {b} on the contour of the "
                                "full-data loss").format(a=a_label, b=b_label))  # fmt: skip
    diverged = bool(np.any(traj.diverged_at >= 0))
    st.markdown(pair_verdict(setup, traj, x_axis="epochs"))  # the hint: in the loss section
    ragged = ragged_batch_note(setup.optimizer, setup.n, setup.batch, setup.drop_last,
                               (setup.red_a, setup.red_b), (setup.lr_a, setup.lr_b))  # fmt: skip
    if ragged and not diverged and setup.batch == setup.batch_b:
        st.info(ragged, icon=":material/info:")
    if setup.batch != setup.batch_b:
        st.caption(different_batches_note(setup))
    for note in divergence_notes(setup, traj, (a_label, b_label)):
        st.warning(note, icon=":material/warning:")


@st.fragment
def loss_section() -> None:
    """The loss curves; their x-axis switch reruns only this part of the page."""
    x_axis = draw(param(f"{P}x"))
    if setup.batch != setup.batch_b and x_axis == X_AXES[0]:
        st.caption(_(EPOCHS_HINT))
    chart(curves_chart(setup, labels, x_axis, style), f"{P}curves",
          _("Full-data loss of runs A and B against {x_axis}").format(
              x_axis=_(X_AXIS_NAMES[x_axis])))  # fmt: skip
    refresh_link(LESSON)


@st.fragment
def noise_section() -> None:
    """The gradient noise at one step; the step slider reruns only this part of the page."""
    st.header(_("The noise in a mini-batch gradient"))
    step = int(draw(param(f"{P}inspect"), high=setup.steps))
    cloud, b_simple = cloud_chart(setup, labels, step, style)
    chart(cloud, f"{P}cloud", _("Sampled mini-batch gradients, their 2σ ellipse and the full "
                                "gradient at step {step}, for run A and run B").format(
                                    step=step))  # fmt: skip
    chart(noise_scale_chart(setup, style), f"{P}bsimple",
          _("The noise scale B_simple along run A, against the batch size in use"))  # fmt: skip
    st.caption(noise_scale_note(b_simple))
    refresh_link(LESSON)


labels = (a_label, b_label)
loss_section()
noise_section()

st.header(_("Which learning rate is best for each batch size?"))
current = tuple(zip(setup.batches, (setup.lr_a, setup.lr_b), setup.reductions, strict=True))
chart(map_chart(setup.kind, setup.n, setup.noise, setup.seed, setup.momentum, style,
                current=current), f"{P}map",
      _("Final loss over batch sizes and learning rates under mean and under sum, with the "
        "measured best learning rate and the theory's optimum and stability wall"))  # fmt: skip

st.header(_("L2 regularisation under sum and mean"))
lam = setup.l2 if setup.l2 > 0 else 0.5
chart(l2_chart(setup.kind, setup.n, setup.noise, setup.seed, lam, style), f"{P}norms",
      _("Weight norm at equilibrium against batch size with coupled L2, mean and sum"))  # fmt: skip


@st.fragment
def optimizer_section() -> None:
    """SGD against Adam on the same pair; the toggle reruns only this part of the page."""
    st.header(_("Does the optimizer care?"))
    if draw(param(f"{P}adam")):
        st.markdown(adaptive_comparison(setup))
    st.caption(_(ADAPTIVE_NOTE))
    refresh_link(LESSON)


optimizer_section()
st.header(_("So: sum or mean?"))
st.markdown(conclusion())
link_box(LESSON)
