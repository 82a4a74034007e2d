"""Lesson: Backpropagation — the chain rule step by step, checked by nudging, and what it saves."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.backprop import chain, param_refs
from i18n import _, ngettext
from ui.backprop.compute import (
    batch_from,
    cost_chart,
    cost_of,
    fd_chart,
    graph_chart,
    graph_style,
    index_of,
    lr_chart,
    net_from,
    nudge_of,
    per_example,
    picked,
    updates,
)
from ui.backprop.controls import (
    batch_panel,
    example_panel,
    network_panel,
    pick_menu,
    stepper,
    weights_panel,
)
from ui.backprop.params import LESSON, WATCH, P, matching_preset
from ui.backprop.text import (
    ACCUMULATE_NOTE,
    BATCH_NOTE,
    CHAIN_NOTE,
    COST_NOTE,
    GRAPH_NOTE,
    INTRO,
    NUDGE_INTRO,
    PARABOLA_NOTE,
    TITLE,
    V_NOTE,
    batch_rows,
    batch_sentence,
    chain_latex,
    fd_sentence,
    is_parabola,
    nudge_sentence,
    number,
    ratio_sentence,
    ref_text,
    signed,
    step_rows,
    step_title,
    steps_sentence,
    update_rows,
    update_sentence,
)
from ui.panels import chart, lesson_start, link_box, stage
from ui.runs import preset_picker
from ui.shell import PAGES_DIR
from ui.url import values
from ui.widgets import draw

settings = lesson_start(_(TITLE), _(INTRO), LESSON)
param = LESSON.param
controls, main = stage(0.85, 2.6)
with controls:
    preset_picker(LESSON)
    pick_menu()
    step = stepper()
    example_panel()
    network_panel()

net = net_from(values(LESSON))
target = picked(values(LESSON))
name = ref_text(target)
g = net.graph
with main:
    graph = graph_chart(net, step, graph_style(settings))
    chart(graph, f"{P}graph", _("The network as a graph of {params} weights and biases, with "
                                "every value; backward-pass step {step} of {last}").format(
        params=len(net.params), step=step, last=len(net.steps) - 1))  # fmt: skip
    watched = matching_preset(values(LESSON))
    if watched is not None:
        st.info(_("**What to watch** — {watch}").format(watch=_(WATCH[watched])),
                icon=":material/visibility:")  # fmt: skip
    st.markdown(f"**{step_title(net.steps[step], step)}**")
    rows = step_rows(net.steps[step], net.spec.activation, net.spec.output)
    if rows:
        st.table(rows, hide_index=True)
    st.caption(_(GRAPH_NOTE))
    if not np.isfinite(g.loss):
        st.warning(_("These weights overflow the forward pass: the loss is not a finite number, "
                     "so no gradient can be computed. Make the weights or the inputs smaller."),
                   icon=":material/warning:")  # fmt: skip

weights_panel(net.spec)

st.header(_("The chain rule for {name}").format(name=name))
paths = chain(g, target)
st.latex(chain_latex(target, paths, g.gradient(target)))
st.markdown(
    ngettext(
        "{paths} path from the loss to {name}; the sum is the gradient the backward pass wrote on "
        "the graph, ∂L/∂{name} = {gradient}.",
        "{paths} paths from the loss to {name}; the sum is the gradient the backward pass wrote on "
        "the graph, ∂L/∂{name} = {gradient}.",
        len(paths),
    ).format(paths=len(paths), name=name, gradient=number(g.gradient(target), 6))
)
st.caption(_(CHAIN_NOTE))

st.header(_("Check it by nudging"))
st.markdown(_(NUDGE_INTRO))
index = index_of(net, target)
h = float(draw(param(f"{P}h")))
n = nudge_of(net, index, h)
m1, m2, m3 = st.columns(3)
m1.metric(_("L at {name} − h").format(name=name), number(n.loss_minus, 8),
          signed(n.loss_minus - n.loss), delta_color="inverse")  # fmt: skip
m2.metric(_("L at {name}").format(name=name), number(n.loss, 8))
m3.metric(_("L at {name} + h").format(name=name), number(n.loss_plus, 8),
          signed(n.loss_plus - n.loss), delta_color="inverse")  # fmt: skip
s1, s2, s3 = st.columns(3)
s1.metric(_("One-sided slope"), number(n.forward_slope, 10),
          _("{change} off").format(change=signed(n.forward_slope - n.gradient, 2)),
          delta_color="off")  # fmt: skip
s2.metric(_("Central slope"), number(n.central_slope, 10),
          _("{change} off").format(change=signed(n.central_slope - n.gradient, 2)),
          delta_color="off")  # fmt: skip
s3.metric(_("Backprop gradient"), number(n.gradient, 10))
st.markdown(nudge_sentence(name, n))
v_chart, errors = fd_chart(net, index, h, settings.style)
chart(v_chart, f"{P}fd", _("The error of one-sided and central differences for {name} against "
                           "h from 1e-12 to 0.1").format(name=name))  # fmt: skip
st.markdown(fd_sentence(errors))
st.caption(_(PARABOLA_NOTE) if is_parabola(errors) else _(V_NOTE))

st.header(_("A batch: sum or mean"))
size = batch_panel(net.spec.n_inputs)
batch = batch_from(values(LESSON), net)
losses, grads, batch_loss, batch_grad = per_example(batch)
st.table(batch_rows(param_refs(net.spec), grads), hide_index=True)
st.markdown(batch_sentence(batch.reduction, [float(v) for v in losses], batch_loss))
st.caption(_(BATCH_NOTE))
st.page_link(
    PAGES_DIR / "sum_or_mean.py", label=_("Sum or mean? — the lesson"), icon=":material/functions:"
)

st.header(_("The update"))
c1, c2 = st.columns([1, 1])
lr = float(draw(param(f"{P}lr"), c1))
reset = bool(draw(param(f"{P}reset"), c2))
ups = updates(batch, lr, reset)
st.markdown(update_sentence(float(ups.losses[0]), float(ups.losses[1]), lr))
st.table(update_rows(param_refs(net.spec), ups), hide_index=True)
st.markdown(steps_sentence([float(v) for v in ups.losses[:3]], reset))
st.caption(_(ACCUMULATE_NOTE))
chart(lr_chart(batch, lr, settings.style), f"{P}lr_chart",
      _("The batch loss after one step against the learning rate"))  # fmt: skip

st.header(_("What it costs"))
st.markdown(_("Time the two ways of getting every weight's gradient on real networks of this "
              "lab's engine, from a few weights to a million. It takes a second or two, once "
              "per server."))  # fmt: skip
c1, c2 = st.columns([1, 2])
if draw(param(f"{P}cost"), c1):
    largest = int(draw(param(f"{P}cost_max"), c2))
    costs = cost_of(largest)
    chart(cost_chart(largest, settings.style), f"{P}cost_chart",
          _("Seconds per gradient against the number of weights, finite differences and "
            "backpropagation"))  # fmt: skip
    st.markdown(ratio_sentence(costs.ratio, int(costs.n_params[-1])))
    st.caption(_(COST_NOTE))

link_box(LESSON)
