"""Home: the map of the lessons, and what the engine underneath offers."""

from __future__ import annotations

import streamlit as st

from engine.optimizers import OPTIMIZERS
from engine.surfaces import SURFACES, SURFACES_1D, SURFACES_2D
from figures.surface_plots import landscape_name
from i18n import N_, _
from ui.params import Lesson
from ui.shell import PAGES_DIR, open_page
from ui.url import show_notices

HOME = Lesson("home", ())  # the home page has no settings of its own
notices = open_page(HOME)

LESSONS = [
    (
        "rolling_ball.py",
        N_("The rolling ball"),
        ":material/sports_baseball:",
        N_("Why does gradient descent stop in the first valley, and how does momentum roll on?"),
        N_(
            "A weight on a 1-D loss curve: the slope, the step, the tangent, and momentum carrying "
            "a ball through a shallow valley to a deeper one."
        ),
    ),
    (
        "race.py",
        N_("The optimizer race"),
        ":material/flag:",
        N_("What do momentum, Nesterov, Adagrad, RMSprop and Adam actually do differently?"),
        N_(
            "Up to six optimizers from one start on a 2-D surface — valleys, saddles, plateaus — "
            "with their velocity and scale drawn at every step, and why a run blows up."
        ),
    ),
    (
        "sum_or_mean.py",
        N_("Sum or mean?"),
        ":material/functions:",
        N_(
            "Should a mini-batch's gradients be summed or averaged, and why does the best "
            "learning rate move when you switch?"
        ),
        N_(
            "Two runs on the same batches, the gradient noise of a mini-batch, the best learning "
            "rate for every batch size against the theory, and what L2 does under each."
        ),
    ),
    (
        "training.py",
        N_("What is training?"),
        ":material/model_training:",
        N_("What happens, step by step, when a network learns to separate two classes?"),
        N_(
            "Train a small network on toy data and watch its decision boundary form: the batch, "
            "the forward pass, the loss, the backward pass and the update, A against B."
        ),
    ),
    (
        "uncrumpling.py",
        N_("Uncrumpling the paper ball"),
        ":material/texture:",
        N_("What does each layer of a network do to the data?"),
        N_(
            "Each layer as a movement of the plane — W, +b, then tanh bends or ReLU folds — until "
            "one straight cut separates two classes; and when no number of layers can do it."
        ),
    ),
    (
        "backprop.py",
        N_("Backpropagation"),
        ":material/account_tree:",
        N_("How does one backward pass find the gradient of every weight at once?"),
        N_(
            "A tiny network as a graph with every number on it: the chain rule step by step from "
            "the loss to a weight, checked by nudging it, and what it saves at a million weights."
        ),
    ),
]
PER_ROW = 3

st.title("Descent Lab")
show_notices(notices)
st.markdown(
    _(
        "**See how neural networks are trained.** Training is a loop: draw a batch of examples, "
        "run them through the model, measure the loss, follow the chain rule back to every weight, "
        "and take a step downhill. Descent Lab lets you watch that step happen — on loss surfaces "
        "you can see whole and on real data with real mini-batches — while you change the "
        "learning rate, momentum, the optimizer, the batch size, and whether a batch's gradients "
        "are summed or averaged."
    )
)

st.header(_("Lessons"))
columns = [col for start in range(0, len(LESSONS), PER_ROW) for col in st.columns(PER_ROW)]
for col, (path, title, icon, question, what) in zip(columns, LESSONS, strict=False):
    with col, st.container(border=True):
        st.subheader(f"{icon} {_(title)}")
        st.markdown(f"*{_(question)}*")
        st.write(_(what))
        st.page_link(PAGES_DIR / path, label=_("Open the lesson"), icon=":material/arrow_forward:")
st.caption(
    _(
        "Every setting lives in the link: copy the address bar to share exactly what you see. "
        "Projector mode (sidebar, or ?present=true in a link) makes everything big enough for a "
        "room. The language is in the link too (?lang=en, pl or zh)."
    )
)

with st.expander(_("Under the hood: the optimizers and surfaces the lessons run on")):
    st.markdown(
        _(
            "Each rule is assembled from the same building blocks the engine runs, and "
            "reproduces torch.optim step for step. γ: learning rate, μ: momentum, τ: dampening, "
            "λ: weight decay."
        )
    )
    rule_columns = st.columns(2)
    for i, spec in enumerate(OPTIMIZERS.values()):
        with rule_columns[i % 2]:
            example = spec(momentum=0.9) if spec.key in ("sgd", "keras_sgd") else spec()
            st.markdown(f"**{_(spec.name)}** — {_(spec.summary)}")
            st.latex(example.latex)
    st.markdown(
        _("**{two} two-dimensional and {one} one-dimensional surfaces:**").format(
            two=len(SURFACES_2D), one=len(SURFACES_1D)
        )
    )
    st.markdown(
        "\n".join(
            f"- **{landscape_name(SURFACES[k])}** — {_(SURFACES[k].description)}" for k in SURFACES
        )
    )
