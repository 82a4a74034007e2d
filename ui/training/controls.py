"""The "What is training?" lesson's widgets, grouped as the page shows them.

The stage column holds what a learner changes most (preset, dataset, optimizer, batch size,
what run B changes); the folding panels below it hold the data, the network and the rest of
the training settings. Every widget is drawn from its declaration (``ui.widgets.draw``).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.batching import BatchSchedule, steps_per_epoch
from engine.features import available
from i18n import _, message, ngettext
from ui.runs import run_controls
from ui.settings import current as current_settings
from ui.training.compute import (
    MAX_SECONDS,
    estimated_seconds,
    max_epochs,
    n_train,
    own_points_missing,
    remember_upload,
    setup_from,
    task_of,
)
from ui.training.params import LESSON, MAX_LAYERS, MINI_BATCH, OWN, P
from ui.training.points import add_point, at_cap, decode_points, encode_points, remove_nearest
from ui.training.upload import UploadError, parse_csv
from ui.url import set_values, values
from ui.widgets import draw

UPLOAD = "tr_upload"  # session only: the content hash of the file in use (a link cannot hold it)
_UPLOAD_TASK = "tr_upload_task"
_BATCH_NOTE = "tr_batch_note"
_QUICK = "tr_quick_batch"  # session only: the one-click batch sizes
param = LESSON.param


def set_batch(size: int | None) -> None:
    """The one-click batch sizes: 1 (true SGD), 32 (mini-batch), None (the full batch).

    Smaller batches mean more steps per epoch; when the epochs no longer fit the page's
    budget they are cut to what fits, and a note says so."""
    current = values(LESSON)
    n = n_train(current)
    batch = n if size is None else min(size, n)
    new = {f"{P}batch": batch}
    try:
        setup = setup_from(current | new, current_settings().seed, upload_in_use())
    except ValueError:
        setup = None
    if setup is not None and estimated_seconds(setup) > MAX_SECONDS:
        fits = max(1, max_epochs(setup))
        new[f"{P}epochs"] = fits
        steps = steps_per_epoch(BatchSchedule(n, batch))
        st.session_state[_BATCH_NOTE] = ngettext(
            "With B = {batch} an epoch is {steps} step, so the epochs were cut to {fits} to fit "
            "what one page may compute.", "With B = {batch} an epoch is {steps} steps, so the "
            "epochs were cut to {fits} to fit what one page may compute.", steps).format(
            batch=batch, steps=steps, fits=fits)  # fmt: skip
    set_values(LESSON, new)


def _quick_batch() -> None:
    """The one-click batch sizes act as buttons: apply the choice, then clear it."""
    choice = st.session_state.get(_QUICK)
    st.session_state[_QUICK] = None
    if choice is not None:
        set_batch({"one": 1, "mini": MINI_BATCH, "full": None}[choice])


def stage_controls() -> None:
    """The controls beside the stage chart."""
    draw(param(f"{P}data"))
    run_controls(LESSON, P, 0)
    n = n_train(values(LESSON))
    if own_points_missing(values(LESSON)) is not None:  # no training set to fit them to yet
        n = int(param(f"{P}batch").high or n)
    draw(param(f"{P}batch"), high=n)
    quick = {
        "one": _("True SGD (1)"),
        "mini": _("Mini-batch ({size})").format(size=MINI_BATCH),
        "full": _("Full batch ({size})").format(size=n),
    }
    st.pills(_("One click"), list(quick), format_func=quick.__getitem__, key=_QUICK,
             on_change=_quick_batch, label_visibility="collapsed")  # fmt: skip
    if _BATCH_NOTE in st.session_state:
        st.info(st.session_state.pop(_BATCH_NOTE), icon=":material/info:")
    draw(param(f"{P}red"))
    compare = draw(param(f"{P}compare"))
    if compare == "batch":
        draw(param(f"{P}b_batch"), high=n)
    elif compare == "reduction":
        draw(param(f"{P}b_red"))
    elif compare == "l2":
        draw(param(f"{P}b_l2"))
    elif compare == "activation":
        draw(param(f"{P}b_act"))
    elif compare == "layers":
        draw(param(f"{P}b_layers"))
    elif compare == "optimizer":
        with st.expander(_("Run B's optimizer"), expanded=True):
            run_controls(LESSON, P, 1)


def data_panel() -> None:
    """The data: size, noise, split, seed, the input features, the learner's own points and
    an uploaded file."""
    with st.expander(_("Data and input features"), key=f"{P}data_panel"):
        own = values(LESSON)[f"{P}data"] == OWN
        draw(param(f"{P}n"), disabled=own)
        draw(param(f"{P}noise"), disabled=own)
        classification = task_of(values(LESSON)) == "classification"
        draw(param(f"{P}label_noise"), disabled=own or not classification)
        draw(param(f"{P}test"), disabled=own)
        seed_col, button_col = st.columns([2, 1], vertical_alignment="bottom")
        draw(param(f"{P}data_seed"), seed_col)
        button_col.button(_("Regenerate"), key=f"{P}regen", on_click=_regenerate,
                          icon=":material/refresh:")  # fmt: skip
        st.markdown(_("**Input features** — what the network sees of each point:"))
        usable = set(available(1 if not classification and not own else 2))
        columns = st.columns(4)
        for i, key in enumerate(("x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2")):
            draw(param(f"{P}f_{key}"), columns[i % 4], disabled=key not in usable)
        _points_controls()
        _upload_controls()


def network_panel() -> None:
    """The network: depth, one width per layer, activation, output and initial weights."""
    with st.expander(_("Network"), key=f"{P}net_panel"):
        layers = draw(param(f"{P}layers"))
        columns = st.columns(3)
        for i in range(1, MAX_LAYERS + 1):
            if i <= layers:
                draw(param(f"{P}w{i}"), columns[(i - 1) % 3],
                     label=_("Layer {i} units").format(i=i))  # fmt: skip
        draw(param(f"{P}act"))
        draw(param(f"{P}out"))
        draw(param(f"{P}init"))


def training_panel() -> None:
    """The rest of the training: regularisation, epochs, early stop, the weights' seed."""
    with st.expander(_("Training"), key=f"{P}train_panel"):
        left, right = st.columns(2)
        draw(param(f"{P}l2"), left)
        draw(param(f"{P}l1"), right)
        draw(param(f"{P}epochs"), left)
        draw(param(f"{P}stop"), right)
        draw(param(f"{P}init_seed"))


def _regenerate() -> None:
    seed = int(values(LESSON)[f"{P}data_seed"])
    set_values(LESSON, {f"{P}data_seed": (seed + 1) % 10_000})


def _points_controls() -> None:
    text = str(values(LESSON)[f"{P}pts"])
    points = decode_points(text)
    st.markdown(_("**Your own points** — click on run A's plane to add or remove one:"))
    draw(param(f"{P}click"))
    n = len(points)
    if at_cap(points):
        caption = ngettext("{n} point added by hand — the most a link can carry; remove one to "
                           "add another.", "{n} points added by hand — the most a link can "
                           "carry; remove one to add another.", n)  # fmt: skip
    else:
        caption = ngettext("{n} point added by hand.", "{n} points added by hand.", n)
    st.caption(caption.format(n=n))
    if points:
        st.button(_("Remove all my points"), key=f"{P}pts_clear",
                  on_click=lambda: set_values(LESSON, {f"{P}pts": ""}))  # fmt: skip


def take_click(chart_key: str, picker_trace: int) -> Any:
    """A callback for the stage chart: a click on the plane's picker adds a point of the
    chosen class there, or removes the nearest point added by hand."""

    def take() -> None:
        event = st.session_state.get(chart_key) or {}
        points = [p for p in event.get("selection", {}).get("points", [])
                  if p.get("curve_number") == picker_trace]  # fmt: skip
        if not points:
            return
        x, y = float(points[-1]["x"]), float(points[-1]["y"])
        current = values(LESSON)
        mine = decode_points(str(current[f"{P}pts"]))
        mode = str(current[f"{P}click"])
        changed = remove_nearest(mine, x, y) if mode == "remove" else add_point(
            mine, x, y, int(mode[-1]))  # fmt: skip
        set_values(LESSON, {f"{P}pts": encode_points(changed)})

    return take


def _upload_controls() -> None:
    st.markdown(_("**Or upload a CSV file** with columns x1, x2, label (0/1/2) — or x, target "
                  "for regression."))  # fmt: skip
    shown = {"classification": _("class labels"), "regression": _("numbers to predict")}
    task = st.radio(_("The last column holds"), ("classification", "regression"),
                    format_func=shown.__getitem__, key=_UPLOAD_TASK, horizontal=True)  # fmt: skip
    file = st.file_uploader(_("CSV file"), type=["csv", "txt"], key=f"{P}file")
    if file is None:
        st.session_state.pop(UPLOAD, None)
        return
    content = file.getvalue()
    try:
        uploaded = parse_csv(content, task)
    except UploadError as err:
        st.session_state.pop(UPLOAD, None)
        st.error(message(err), icon=":material/error:")
        return
    st.session_state[UPLOAD] = remember_upload(uploaded, content)
    rows = len(uploaded.y)
    st.success(ngettext("Training on your file: {rows} row.", "Training on your file: {rows} "
                        "rows.", rows).format(rows=rows), icon=":material/check:")  # fmt: skip
    for note in uploaded.notes:
        st.caption(note)


def upload_in_use() -> str:
    """The content hash of the uploaded file in use, or "" for none."""
    return str(st.session_state.get(UPLOAD, ""))
