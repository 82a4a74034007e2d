"""One style for every figure: colour-blind-safe colours, symbols, dashes and projector sizes.

* Colours are the Okabe–Ito palette; every series also gets its own marker symbol and line dash,
  so nothing relies on colour alone.
* ``Style`` holds font sizes and line widths; ``Style.projector()`` scales them for a classroom
  projector (fonts ≥ 22 px, lines ≥ 4 px, markers ≥ 12 px). ``apply_layout`` sets every font a
  figure has explicitly — Plotly keeps tick labels at 12 px under the Streamlit theme otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from i18n import plotly_separators

# Okabe & Ito (2008), without black (kept for text) and yellow last (weak on white).
OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid")
INK = "#1a1a1a"
# Latin text in Arial; Chinese (which Arial lacks) in Noto Sans CJK (Debian's fonts-noto-cjk),
# then whatever CJK font the viewer's system has.
FONT_FAMILY = ("Arial, Helvetica, 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', "
               "'PingFang SC', 'Microsoft YaHei', sans-serif")  # fmt: skip
GRID = "#d9d9d9"


_AXIS = {"showgrid": False, "showline": True, "linecolor": INK, "ticks": "outside",
         "zeroline": False, "automargin": True, "title": {"standoff": 15}}  # fmt: skip
_SCENE_AXIS = {"backgroundcolor": "white", "showbackground": True, "showgrid": False,
               "gridcolor": "rgb(232,232,232)", "gridwidth": 2, "showline": True,
               "linecolor": INK, "ticks": "outside", "zeroline": False}  # fmt: skip
_COLORBAR = {"outlinewidth": 1, "tickcolor": INK, "ticks": "outside"}
# What Plotly's "simple_white" gives these figures, and nothing else. The named template is
# 8 KB of defaults for every trace type: validating it cost ~7 ms per figure built, and
# copying and sending it ~3 ms per chart on every rerun.
TEMPLATE: dict[str, Any] = {
    "layout": {
        "colorway": list(OKABE_ITO),
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "scene": {"xaxis": _SCENE_AXIS, "yaxis": _SCENE_AXIS, "zaxis": _SCENE_AXIS},
        "coloraxis": {"colorbar": _COLORBAR},
    },
    "data": {kind: [{"colorbar": _COLORBAR}] for kind in ("heatmap", "contour", "surface")},
}


@dataclass(frozen=True)
class SeriesStyle:
    """How one run (or optimizer) is drawn: never distinguished by colour alone."""

    color: str
    symbol: str
    dash: str


def series_style(index: int) -> SeriesStyle:
    """The style of the ``index``-th series (cycles after seven)."""
    i = index % len(OKABE_ITO)
    return SeriesStyle(OKABE_ITO[i], SYMBOLS[i], DASHES[i])


@dataclass(frozen=True)
class Style:
    """Sizes in pixels; frozen so figures built from it are deterministic and cacheable."""

    font: int = 15
    title_font: int = 18
    tick_font: int = 14
    line: float = 2.5
    marker: int = 9
    arrow: float = 2.5
    height: int = 520
    projector: bool = False
    # The language the figure's texts are in (``i18n``): part of the style so that a figure
    # cached by its style is cached per language, and a Polish chart never reaches an English
    # page. Builders translate with ``i18n._`` in the current language, which is this one.
    lang: str = "en"

    @classmethod
    def projector_mode(cls, lang: str = "en") -> Style:
        """Large, high-contrast sizes for a classroom projector."""
        return cls(
            lang=lang,
            font=24,
            title_font=28,
            tick_font=22,
            line=4.5,
            marker=14,
            arrow=4.0,
            height=640,
            projector=True,
        )

    def in_language(self, lang: str) -> Style:
        return replace(self, lang=lang)

    def with_height(self, height: int) -> Style:
        return replace(self, height=height)


def apply_layout(layout: dict[str, Any], style: Style) -> dict[str, Any]:
    """Return ``layout`` with every font, the theme and margins set from ``style``."""
    axis_fonts = {
        "tickfont": {"size": style.tick_font, "color": INK},
        "title": {"font": {"size": style.font, "color": INK}},
        "gridcolor": GRID,
        "zeroline": False,
        "linecolor": INK,
        "showline": True,
    }
    out = {
        "template": TEMPLATE,
        "font": {"size": style.font, "color": INK, "family": FONT_FAMILY},
        "separators": plotly_separators(),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "height": style.height,
        "margin": {"l": 70, "r": 30, "t": 70, "b": 60},
        "legend": {"font": {"size": style.font}, "bgcolor": "rgba(255,255,255,0.85)"},
        "hoverlabel": {"font": {"size": style.font}},
        **layout,
    }
    legend = {"font": {"size": style.font, "color": INK}, "bgcolor": "rgba(255,255,255,0.85)"}
    out["legend"] = {**legend, **layout.get("legend", {}), "font": legend["font"]}
    for axis in [k for k in out if k.startswith(("xaxis", "yaxis"))]:
        merged = {**axis_fonts, **out[axis]}
        title = out[axis].get("title", {})
        if isinstance(title, str):
            title = {"text": title}
        merged["title"] = {**title, "font": {"size": style.font, "color": INK}}
        out[axis] = merged
    if "title" in out:
        title = out["title"] if isinstance(out["title"], dict) else {"text": out["title"]}
        out["title"] = {**title, "font": {"size": style.title_font, "color": INK}}
    return out
