"""The "What is training?" lesson's downloads: the trained weights, the history, the animation.

Each file is built only when its button is clicked (``data=`` a function), so a rerun pays
nothing for them.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import streamlit as st

from engine.network_io import export_network
from engine.training import TrainResult
from figures.common import standalone_html
from figures.training import history_csv
from i18n import _, current_language, language
from ui.training.compute import Setup, dataset, network_of


def weights_json(setup: Setup, result: TrainResult) -> str:
    """Every run's network at the end of training, with its features and standardisation:
    enough to rebuild it and reproduce its outputs (``engine.network_io.load_network``)."""
    data = dataset(setup.data)
    networks = {}
    for k, label in enumerate(setup.labels):
        spec = network_of(setup, k)
        params = result.params[-1, k, : spec.n_params]
        if result.diverged_at[k] >= 0:  # no weights left to save
            networks[label] = {"diverged_at_step": int(result.diverged_at[k])}
            continue
        networks[label] = export_network(spec, setup.features, data.mean, data.std, params)
    return json.dumps({"runs": networks}, indent=1, allow_nan=False)


def download_buttons(setup: Setup, result: TrainResult, figure: go.Figure) -> None:
    """Three buttons: weights (JSON), history (CSV), animation (offline HTML). A file is built
    when its button is clicked, outside the page's run: in the language of the page."""
    lang, title = current_language(), _("What is training?")

    def history() -> str:
        with language(lang):
            return history_csv(result, list(setup.labels))

    weights, history_column, animation = st.columns(3)
    weights.download_button(_("Trained weights (JSON)"), data=lambda: weights_json(setup, result),
                            file_name="descent-lab-weights.json", mime="application/json",
                            on_click="ignore", icon=":material/download:")  # fmt: skip
    history_column.download_button(_("Training history (CSV)"), data=history,
                                   file_name="descent-lab-history.csv", mime="text/csv",
                                   on_click="ignore", icon=":material/download:")  # fmt: skip
    animation.download_button(_("The animation (HTML, offline)"),
                              data=lambda: standalone_html(figure, title),
                              file_name="descent-lab-training.html", mime="text/html",
                              on_click="ignore", icon=":material/download:")  # fmt: skip
