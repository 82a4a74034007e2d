"""The backprop lesson's stage: the tiny network as a computational graph, forward and backward.

``graph_figure(g, steps, step, style)`` draws one column per quantity — the inputs x, then for
each layer its weighted sums z and (hidden layers) activations a, then the loss L — with every
node's forward value above it and every weight on its edge. The backward pass is client-side
animation frames, one per ``engine.backprop.Step``: each frame writes the gradients known so
far under their nodes and edges (vermillion, "∂ …") and rings the ones that step finds. The
figure opens at ``step`` (the page's Next / Previous), and Play runs the pass from there.

``ref_html(ref, activation)`` names a quantity as the chart writes it (Plotly's <sub>/<sup>).
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from engine.backprop import LOSS, Graph, Ref, Step, node
from figures.animation import add_playback
from figures.common import finish
from figures.style import INK, OKABE_ITO, Style
from i18n import N_, _
from i18n import number as local_number

GRADIENT = OKABE_ITO[1]  # vermillion: everything the backward pass writes
FILL = {"x": "#e8e8e8", "z": "#ffffff", "a": "#cfe5f3", "L": "#f6dccb"}
ACT_NAMES = {"relu": "ReLU", "leaky_relu": N_("leaky"), "tanh": "tanh", "sigmoid": "σ",
             "linear": N_("linear")}  # fmt: skip
WORDS = frozenset({"leaky_relu", "linear"})  # activations named by a word, translated when drawn
COLUMN_GAP, ACT_GAP = 1.8, 1.0  # x-distance a → next z, and z → its activation
ROW = 0.85  # y of a layer's two units: ±ROW
EDGE_LABEL_AT = 0.36  # weights are labelled 30 % of the way from their source, where edges part


def number(value: float, digits: int = 3) -> str:
    """A number as the lesson writes it: ``digits`` significant digits (3 on the graph), a true
    minus sign and the language's decimal symbol; "overflow" or "undefined" for what is not
    finite."""
    if not math.isfinite(value):
        return _("overflow") if math.isinf(value) else _("undefined")
    return local_number(value, f".{digits}g").replace("-", "−")


def ref_html(ref: Ref, activation: str = "") -> str:
    """How the chart names ``ref``: x<sub>1</sub>, z<sub>2</sub><sup>(1)</sup>, w<sub>12</sub>…"""
    if ref.kind == "x":
        return f"x<sub>{ref.i}</sub>"
    if ref.kind in ("z", "a"):
        return f"{ref.kind}<sub>{ref.j}</sub><sup>({ref.layer})</sup>"
    if ref.kind == "w":
        return f"w<sub>{ref.i}{ref.j}</sub><sup>({ref.layer})</sup>"
    if ref.kind == "b":
        return f"b<sub>{ref.j}</sub><sup>({ref.layer})</sup>"
    return "L"


def _nodes(g: Graph) -> list[tuple[Ref, float, float]]:
    """Every node with its position (x, y), input first."""
    sizes = g.spec.sizes
    out = []

    def rows(n: int) -> list[float]:
        return [0.0] if n == 1 else [ROW, -ROW]

    out += [(node("x", 0, i + 1), 0.0, y) for i, y in enumerate(rows(sizes[0]))]
    x = 0.0
    for layer in range(1, len(sizes)):
        x += COLUMN_GAP
        out += [(node("z", layer, j + 1), x, y) for j, y in enumerate(rows(sizes[layer]))]
        if layer < len(sizes) - 1:
            x += ACT_GAP
            out += [(node("a", layer, j + 1), x, y) for j, y in enumerate(rows(sizes[layer]))]
    out.append((LOSS, x + ACT_GAP + 0.2, 0.0))
    return out


def _known(steps: list[Step], upto: int) -> set[Ref]:
    """Everything whose gradient the backward pass has found by step ``upto``."""
    return {row.target for step in steps[: upto + 1] for row in step.rows}


def _frame_traces(g: Graph, steps: list[Step], k: int, nodes: list[tuple[Ref, float, float]],
                  edges: list[tuple[Ref, tuple[float, float], tuple[float, float]]],
                  style: Style) -> list[dict[str, Any]]:  # fmt: skip
    """The four traces a frame changes: node gradients, weight gradients, the rings of the
    nodes this step finds, and its highlighted edges."""
    known, new = _known(steps, k), {row.target for row in steps[k].rows}
    offset = 0.42 if style.projector else 0.36
    node_text = [f"∂ {number(g.gradient(r))}" if r in known else "" for r, _, _ in nodes]
    edge_text = [f"∂ {number(g.gradient(r))}" if r in known else "" for r, _, _ in edges]
    node_grads = {"x": [x for _, x, _ in nodes], "y": [y - offset for _, _, y in nodes],
                  "text": node_text}  # fmt: skip
    label_xy = [_along(a, b, EDGE_LABEL_AT) for _, a, b in edges]
    edge_grads = {"x": [p[0] for p in label_xy], "y": [p[1] - 0.17 for p in label_xy],
                  "text": edge_text}  # fmt: skip
    ring = {"x": [x for _, x, _ in nodes], "y": [y for _, _, y in nodes],
            "marker": {"line": {"width": [5 if r in new else 0 for r, _, _ in nodes],
                                "color": GRADIENT}}}  # fmt: skip
    hx: list[float | None] = []
    hy: list[float | None] = []
    for ref, a, b in edges:
        if ref in new:
            hx += [a[0], b[0], None]
            hy += [a[1], b[1], None]
    return [node_grads, edge_grads, ring, {"x": hx or [None], "y": hy or [None]}]


def _along(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])


def graph_figure(g: Graph, steps: list[Step], step: int, style: Style) -> go.Figure:
    """The computational graph of ``g`` at backward-pass ``step``, with frames for every step.

    Args:
        g: the forward and backward pass (``engine.backprop.graph``).
        steps: ``engine.backprop.backward_steps(g)``; frame k shows steps 0 … k done.
        step: the step the figure opens at (0: after the forward pass).
        style: sizes.
    """
    nodes = _nodes(g)
    where = {r: (x, y) for r, x, y in nodes}
    edges: list[tuple[Ref, tuple[float, float], tuple[float, float]]] = []
    for layer in range(1, len(g.spec.sizes)):
        below = "x" if layer == 1 else "a"
        for i in range(1, g.spec.sizes[layer - 1] + 1):
            for j in range(1, g.spec.sizes[layer] + 1):
                edges.append((Ref("w", layer, i, j), where[node(below, layer - 1, i)],
                              where[node("z", layer, j)]))  # fmt: skip
    links: list[tuple[tuple[float, float], tuple[float, float]]] = [(a, b) for _, a, b in edges]
    links += [(where[node("z", r.layer, r.j)], where[r]) for r, _, _ in nodes if r.kind == "a"]
    links += [(where[node("z", len(g.spec.layers), 1)], where[LOSS])]
    lx: list[float | None] = []
    ly: list[float | None] = []
    for a, b in links:
        lx += [a[0], b[0], None]
        ly += [a[1], b[1], None]
    size = 66 if style.projector else 42
    small = max(style.font - 2, 11)
    offset = 0.42 if style.projector else 0.36
    activation = _act_name(g.spec.activation)
    values = [number(g.value(r)) for r, _, _ in nodes]
    hover = [_node_hover(g, r, activation) for r, _, _ in nodes]
    biases = [(r, x, y) for r, x, y in nodes if r.kind == "z"]
    label_xy = [_along(a, b, EDGE_LABEL_AT) for _, a, b in edges]
    act_xy = [_along(where[node("z", r.layer, r.j)], where[r], 0.5) for r, _, _ in nodes
              if r.kind == "a"]  # fmt: skip
    frames_traces = [_frame_traces(g, steps, k, nodes, edges, style) for k in range(len(steps))]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": lx,
            "y": ly,
            "hoverinfo": "skip",
            "line": {"color": "#9a9a9a", "width": style.line * 0.6},
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "text",
            "x": [p[0] for p in act_xy],
            "y": [p[1] + 0.12 for p in act_xy],
            "text": [activation] * len(act_xy),
            "textfont": {"size": small, "color": "#555555"},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "text",
            "x": [p[0] for p in label_xy],
            "y": [p[1] + 0.05 for p in label_xy],
            "text": [number(g.value(r)) for r, _, _ in edges],
            "textfont": {"size": small, "color": INK},
            "showlegend": False,
            "hovertext": [f"{ref_html(r)} = {number(g.value(r))}" for r, _, _ in edges],
            "hoverinfo": "text",
        },
        {
            "type": "scatter",
            "mode": "text",
            "x": [x for _, x, _ in biases],
            "y": [y + offset + 0.2 for _, _, y in biases],
            "text": [f"b {number(g.value(Ref('b', r.layer, 0, r.j)))}" for r, _, _ in biases],
            "textfont": {"size": small, "color": "#555555"},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [x for _, x, _ in nodes],
            "y": [y for _, _, y in nodes],
            "text": [ref_html(r) for r, _, _ in nodes],
            "textposition": "middle center",
            "textfont": {"size": style.font, "color": INK},
            "marker": {
                "size": size,
                "color": [FILL[r.kind] for r, _, _ in nodes],
                "line": {"color": INK, "width": 1.5},
            },
            "hovertext": hover,
            "hoverinfo": "text",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "text",
            "x": [x for _, x, _ in nodes],
            "y": [y + offset for _, _, y in nodes],
            "text": values,
            "textfont": {"size": style.font, "color": INK},
            "hoverinfo": "skip",
            "showlegend": False,
        },
    ]
    styles = [
        {
            "type": "scatter",
            "mode": "text",
            "textfont": {"size": style.font, "color": GRADIENT},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "text",
            "textfont": {"size": small, "color": GRADIENT},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "markers",
            "hoverinfo": "skip",
            "showlegend": False,
            "marker": {"size": size + 10, "color": "rgba(0,0,0,0)", "symbol": "circle"},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "hoverinfo": "skip",
            "showlegend": False,
            "line": {"color": GRADIENT, "width": style.line * 1.6},
        },
    ]
    # The highlighted edges go under the nodes (right after the edges), the texts and rings on
    # top: frames list their traces in _frame_traces's order.
    shown = [_merge(base, t) for base, t in zip(styles, frames_traces[step], strict=True)]
    data = [data[0], shown[3], *data[1:], *shown[:3]]
    animated = [len(data) - 3, len(data) - 2, len(data) - 1, 1]
    xs = [x for _, x, _ in nodes]
    layout = {
        "xaxis": {"visible": False, "range": [min(xs) - 0.6, max(xs) + 0.6], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-1.4, 1.55], "fixedrange": True},
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "hovermode": "closest",
        "showlegend": False,
    }
    frames = [{"name": str(k), "traces": animated,
               "data": [_merge(base, t) for base, t in zip(styles, traces, strict=True)]}
              for k, traces in enumerate(frames_traces)]  # fmt: skip
    fig = add_playback({"data": data, "layout": layout, "frames": frames},
                       list(range(len(steps))), style, redraw=True, axis_below=False)  # fmt: skip
    fig["layout"]["sliders"][0]["active"] = step
    return finish(fig, style)


def _merge(base: dict[str, Any], trace: dict[str, Any]) -> dict[str, Any]:
    out = {**base, **trace}
    if "marker" in base and "marker" in trace:
        out["marker"] = {**base["marker"], **trace["marker"]}
    return out


def _act_name(activation: str) -> str:
    """How the graph names the activation (a word translated, a symbol or a name as it is)."""
    shown = ACT_NAMES[activation]
    return _(shown) if activation in WORDS else shown


def _node_hover(g: Graph, ref: Ref, activation: str) -> str:
    """What hovering a node says: its value and how it was computed."""
    name, value = ref_html(ref), number(g.value(ref))
    if ref.kind == "x":
        return _("input {name} = {value}").format(name=name, value=value)
    if ref.kind == "z":
        return _("{name} = Σ w·input + b = {value}<br>∂L/∂{name} = {gradient} (after the "
                 "backward pass)").format(name=name, value=value,
                                          gradient=number(g.gradient(ref)))  # fmt: skip
    if ref.kind == "a":
        z = ref_html(node("z", ref.layer, ref.j))
        return f"{name} = {activation}({z}) = {value}<br>∂L/∂{name} = {number(g.gradient(ref))}"
    return _("loss L = {value} (target y = {target})").format(value=value, target=number(g.y))
