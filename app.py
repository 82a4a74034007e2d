"""Descent Lab — home page.

Run with ``streamlit run app.py``. The lessons arrive as pages in later issues; for now the home
page presents what the engine already offers, straight from its registries.
"""

import streamlit as st

from engine.optimizers import OPTIMIZERS
from engine.surfaces import SURFACES, SURFACES_1D, SURFACES_2D

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")

st.title("Descent Lab")
st.markdown(
    "**See how neural networks are trained.** Training is a loop: draw a batch of examples, "
    "run them through the model, measure the loss, follow the chain rule back to every weight, "
    "and take a step downhill. Descent Lab lets you watch that step happen — on loss surfaces you "
    "can see whole, and on small networks — while you change the batch size, whether the "
    "batch's gradients are summed or averaged, the learning rate, momentum and the optimizer."
)
st.info(
    "The interactive lessons (the rolling ball, the optimizer race, *Sum or mean?*) are being "
    "built. What is below already runs underneath them."
)

st.header("Optimizers")
st.caption(
    "Each rule is assembled from the same building blocks the engine runs, and reproduces "
    "torch.optim step for step. γ: learning rate, μ: momentum, τ: dampening, λ: weight decay."
)
columns = st.columns(2)
for i, spec in enumerate(OPTIMIZERS.values()):
    with columns[i % 2]:
        example = spec(momentum=0.9) if spec.key in ("sgd", "keras_sgd") else spec()
        st.subheader(spec.name)
        st.write(spec.summary)
        st.latex(example.latex)

st.header("Loss surfaces")
st.caption(f"{len(SURFACES_2D)} two-dimensional and {len(SURFACES_1D)} one-dimensional surfaces.")
for title, keys in (("Two-dimensional", SURFACES_2D), ("One-dimensional", SURFACES_1D)):
    st.subheader(title)
    st.markdown("\n".join(f"- **{SURFACES[k].name}** — {SURFACES[k].description}" for k in keys))
