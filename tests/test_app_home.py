"""The home page runs and lists what the engine offers, straight from its registries."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from engine.optimizers import OPTIMIZERS
from engine.surfaces import SURFACES, SURFACES_1D, SURFACES_2D

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_home_page_runs_and_lists_optimizers_and_surfaces():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Descent Lab"
    subheaders = [s.value for s in at.subheader]
    for spec in OPTIMIZERS.values():
        assert spec.name in subheaders
    text = " ".join(m.value for m in at.markdown)
    for surface in SURFACES.values():
        assert surface.name in text
    caption = " ".join(c.value for c in at.caption)
    assert f"{len(SURFACES_2D)} two-dimensional and {len(SURFACES_1D)} one-dimensional" in caption
    assert len(at.latex) == len(OPTIMIZERS)
