"""The figure layer: compact deterministic JSON, capped frames, styles that never rely on colour."""

import base64
import json
import math
import zlib

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS
from engine.runner import RunGroup, run
from engine.surfaces import SURFACES
from figures.animation import PLAYBACK_GUARD_JS, frame_rows
from figures.common import compact, log_axis, standalone_html, trajectories_csv, typed_array
from figures.style import OKABE_ITO, Style, apply_layout, series_style
from figures.surface_plots import PICKER_TRACE, loss_figure, surface_grid
from figures.trajectories import race_figure, rolling_figure
from tests.plotly_json import decode

SIX = [("sgd", {"lr": 1e-3}), ("sgd", {"lr": 1e-3, "momentum": 0.9}),
       ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}), ("adagrad", {"lr": 0.5}),
       ("rmsprop", {"lr": 0.01}), ("adam", {"lr": 0.05})]  # fmt: skip


def _race(steps=2000, surface="rosenbrock"):
    s = SURFACES[surface]
    groups = [RunGroup(OPTIMIZERS[k](**hp), s.default_start[None]) for k, hp in SIX]
    return s, run(s, groups, steps)


def test_typed_arrays_round_trip_with_gaps():
    spec = typed_array([1.5, np.inf, -2.25, np.nan])
    assert spec["dtype"] == "f4"
    np.testing.assert_array_equal(decode(spec), np.array([1.5, np.nan, -2.25, np.nan], "f4"))


def test_compact_rounds_and_turns_non_finite_into_gaps():
    values = [3.14159265, 123456.789, -0.000123456789, 0.0]
    assert compact(values) == [3.142, 123500.0, -0.0001235, 0.0]
    assert compact(values, digits=6) == [3.14159, 123457.0, -0.000123457, 0.0]
    assert compact([np.nan, np.inf, 1.0]) == [None, None, 1.0]


def test_frame_rows_cap_and_keep_the_ends():
    rows = frame_rows(2001, 120)
    assert len(rows) == 120 and rows[0] == 0 and rows[-1] == 2000
    np.testing.assert_array_equal(frame_rows(5, 120), np.arange(5))
    with pytest.raises(ValueError, match="max_frames"):
        frame_rows(10, 1)


def test_series_never_rely_on_colour_alone():
    styles = [series_style(i) for i in range(6)]
    assert len({s.symbol for s in styles}) == 6 and len({s.dash for s in styles}) == 6
    assert {s.color for s in styles} <= set(OKABE_ITO)


def test_layout_sets_every_font_and_projector_sizes():
    layout = apply_layout({"xaxis": {"title": "x"}, "legend": {"x": 0}}, Style.projector_mode())
    assert layout["xaxis"]["tickfont"]["size"] >= 22 and layout["legend"]["font"]["size"] >= 22
    assert layout["xaxis"]["title"] == {"text": "x", "font": {"size": 24, "color": "#1a1a1a"}}


def test_race_of_six_runs_over_2000_steps_stays_small_and_deterministic():
    s, traj = _race()
    labels = [f"run {i}" for i in range(6)]
    adaptive = [False, False, False, True, True, True]
    fig = race_figure(s, traj, labels, Style(), adaptive=adaptive, pick_start=True)
    text = fig.to_json()
    assert len(text) < 600_000, len(text)
    spec = json.loads(text)
    assert len(spec["frames"]) == 120
    moving = spec["frames"][0]["traces"]
    assert len(moving) == 6 * 4 + 3  # trail, marker, two arrows; boxes for the adaptive three
    assert all(len(f["data"]) == len(moving) for f in spec["frames"])
    assert spec["layout"]["xaxis"]["range"] == [-2.0, 2.0]
    again = race_figure(s, traj, labels, Style(), adaptive=adaptive, pick_start=True).to_json()
    assert again == text


def test_the_start_picker_covers_the_plot_and_stays_out_of_the_frames():
    s, traj = _race(steps=50)
    spec = json.loads(race_figure(s, traj, ["a"] * 6, Style(), pick_start=True).to_json())
    picker = spec["data"][PICKER_TRACE]
    assert picker["name"] == "start picker" and picker["marker"]["opacity"] == 0
    x, y = decode(picker["x"]), decode(picker["y"])
    assert x.size == y.size == 41 * 41
    np.testing.assert_allclose([x.min(), x.max(), y.min(), y.max()], s.bounds.ravel(), rtol=1e-6)
    np.testing.assert_allclose(np.unique(np.round(np.diff(np.unique(x)), 6)), [0.1])  # 4/40
    exact = np.stack(np.meshgrid(*(np.linspace(lo, hi, 41) for lo, hi in s.bounds)), -1)
    loss = decode(picker["customdata"])  # the hover readout: the loss at each point
    np.testing.assert_allclose(loss, s.value(exact.reshape(-1, 2)), rtol=1e-6)
    assert all(PICKER_TRACE not in f["traces"] for f in spec["frames"])
    plain = json.loads(race_figure(s, traj, ["a"] * 6, Style()).to_json())
    assert not [t for t in plain["data"] if t.get("name") == "start picker"]
    ball = SURFACES["asymmetric_double_well"]
    traj1 = run(ball, [RunGroup(OPTIMIZERS["sgd"](lr=0.01), [[1.9]])], 20)
    spec = json.loads(rolling_figure(ball, traj1, ["b"], Style()).to_json())
    picker = spec["data"][PICKER_TRACE]
    w, y, f = decode(picker["x"]), decode(picker["y"]), decode(picker["customdata"])
    np.testing.assert_allclose(f, ball.value(w[:, None].astype(float)), rtol=1e-5, atol=1e-5)
    assert len(np.unique(w)) == 161 and len(np.unique(y)) == 16  # a grid over the whole plot
    np.testing.assert_allclose([y.min(), y.max()], spec["layout"]["yaxis"]["range"], rtol=1e-6)
    assert all(PICKER_TRACE not in fr["traces"] for fr in spec["frames"])


def test_a_diverged_run_is_drawn_as_a_gap():
    s = SURFACES["quadratic_1d"]
    traj = run(s, [RunGroup(OPTIMIZERS["sgd"](lr=2.5), [[1.0]])], 100)
    assert traj.diverged_at[0] > 0
    spec = json.loads(rolling_figure(s, traj, ["too fast"], Style()).to_json())
    last = spec["frames"][-1]["data"][1]
    assert np.isnan(decode(last["x"])).all() and np.isnan(decode(last["y"])).all()
    first = spec["frames"][0]["data"][1]
    np.testing.assert_allclose(decode(first["x"]), [1.0])


def test_a_diverged_race_run_is_marked_where_it_blew_up():
    s = SURFACES["ill_conditioned"]
    groups = [RunGroup(OPTIMIZERS["sgd"](lr=lr), s.default_start[None]) for lr in (1.0, 2.5)]
    traj = run(s, groups, 200)
    assert traj.diverged_at[1] > 0 and traj.diverged_at[0] == -1
    spec = json.loads(race_figure(s, traj, ["ok", "blows up"], Style()).to_json())
    (cross,) = [t for t in spec["data"] if t.get("name") == "diverged (last seen here)"]
    path = traj.params[:, 1]
    inside = np.all(np.abs(path) <= 5.0, axis=-1)
    last = path[np.flatnonzero(inside)[-1]]
    assert cross["x"] == pytest.approx([last[0]], rel=1e-3)
    calm = run(s, groups[:1], 50)
    assert not [t for t in json.loads(race_figure(s, calm, ["ok"], Style()).to_json())["data"]
                if t.get("name", "").startswith("diverged")]  # fmt: skip


def test_log_colour_scale_and_loss_curves():
    _, _, z, log = surface_grid(SURFACES["rosenbrock"], n=50)
    assert log and np.isfinite(z).all() and z.max() < 10 and z.max() - z.min() > 3  # decades
    _, traj = _race(100)
    fig = loss_figure(["a"] * 6, traj.steps, traj.loss, Style(), floor=0.0)
    assert fig.layout.yaxis.type == "log"
    linear = loss_figure(["a"] * 6, traj.steps, traj.loss, Style(), floor=None)
    assert linear.layout.yaxis.type == "linear"


def test_exports_csv_and_offline_html():
    s, traj = _race(20)
    csv = trajectories_csv([f"r{i}" for i in range(6)], traj.steps, traj.params, traj.loss,
                           ["x", "y"])  # fmt: skip
    lines = csv.splitlines()
    assert lines[0] == "run,step,x,y,loss" and len(lines) == 1 + 6 * 21
    assert lines[1].startswith("r0,0,-1.2,1,")
    html = standalone_html(race_figure(s, traj, ["r"] * 6, Style(), show_state=False))
    assert "<html>" in html and "Plotly.newPlot" in html
    assert 'src="http' not in html and len(html) > 3_000_000  # plotly.js is inside


def test_png_encoder_writes_a_valid_image():
    import struct
    import zlib

    from figures.raster import banded_rgb, png_data_uri

    rgb = banded_rgb(np.array([[0.0, 1.0, np.nan], [2.0, 3.0, 4.0]]), bands=4)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[0, 2], [255, 255, 255])  # NaN is white
    np.testing.assert_array_equal(rgb[0, 0], [0x44, 0x01, 0x54])  # lowest: Viridis start
    np.testing.assert_array_equal(rgb[1, 2], [0xFD, 0xE7, 0x25])  # highest: Viridis end
    png = base64.b64decode(png_data_uri(rgb).split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (3, 2)
    idat_length = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41 : 41 + idat_length])
    assert raw == b"\x00" + rgb[0].tobytes() + b"\x00" + rgb[1].tobytes()


def decode_png(png):
    """A PNG's pixels, read with zlib and struct only: ``(rgb (H, W, 3), indices (H, W) or
    None)`` for 8-bit RGB (colour type 2) or palette (type 3) images, any of the five row
    filters — an independent reader, not the encoder run backwards."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    assert kind == b"IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 3) and interlace == 0
    bpp = 3 if colour == 2 else 1
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (1 + width * bpp)
    rows, previous = [], bytearray(width * bpp)
    for r in range(height):
        line = raw[r * (1 + width * bpp) : (r + 1) * (1 + width * bpp)]
        kind, out = line[0], bytearray(line[1:])
        for i in range(len(out)):
            a = out[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            paeth = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (out[i] + [0, a, b, (a + b) // 2, paeth][kind]) % 256
        rows.append(bytes(out))
        previous = out
    pixels = np.frombuffer(b"".join(rows), np.uint8).reshape(height, width, bpp)
    if colour == 2:
        return pixels, None
    palette = np.frombuffer(chunks[b"PLTE"], np.uint8).reshape(-1, 3)
    assert pixels.max() < len(palette)
    return palette[pixels[..., 0]], pixels[..., 0]


def test_the_palette_png_encoder_round_trips_and_refuses_bad_input():
    from figures.raster import indexed_png, indexed_png_uri

    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (34, 3), dtype=np.uint8)
    indices = rng.integers(0, 34, (7, 11))
    png = indexed_png(indices, palette)
    rgb, back = decode_png(png)
    assert back.shape == (7, 11) and back.dtype == np.uint8
    np.testing.assert_array_equal(back, indices)  # row 0 is the top row of the image
    np.testing.assert_array_equal(rgb, palette[indices])
    assert png[24:26] == bytes([8, 3])  # 8-bit indices, colour type 3 (a palette)
    assert indexed_png(indices, palette) == png  # deterministic
    uri = indexed_png_uri(indices, palette)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png
    # a smooth field in a palette of a few dozen colours: a few hundred bytes for 40 × 40
    y, x = np.mgrid[0:40, 0:40]
    smooth = np.round(33 * (0.5 + 0.5 * np.sin(x / 9.0 + y / 13.0))).astype(int)
    assert len(indexed_png(smooth, palette)) < 1000
    np.testing.assert_array_equal(decode_png(indexed_png(smooth, palette))[1], smooth)
    with pytest.raises(ValueError, match="palette"):
        indexed_png(indices, np.zeros((257, 3)))
    with pytest.raises(ValueError, match="palette"):
        indexed_png(indices, np.zeros((4, 4)))
    with pytest.raises(ValueError, match="indices"):
        indexed_png(indices, palette[:5])
    with pytest.raises(ValueError, match="indices"):
        indexed_png(np.zeros((0, 3), int), palette)


def test_a_stack_of_palette_pngs_decodes_frame_by_frame_and_uses_the_up_filter():
    from figures.raster import indexed_png, indexed_pngs

    rng = np.random.default_rng(4)
    palette = rng.integers(0, 256, (33, 3), dtype=np.uint8)
    y, x = np.mgrid[0:79, 0:79]
    stack = np.stack([np.round(16 + 16 * np.sin(x / 25.0 + y / (30.0 + f))) for f in range(6)])
    stack[2, 10:20, 30:40] = 0  # a jump below and back up: the filter's differences wrap
    stack[3] = 32
    pngs = indexed_pngs(stack.astype(int), palette)
    assert len(pngs) == 6
    for frame, png in zip(stack, pngs, strict=True):
        np.testing.assert_array_equal(decode_png(png)[1], frame)
        assert png == indexed_png(frame.astype(int), palette)  # the same bytes one by one
    raw = zlib.decompress(pngs[0][pngs[0].index(b"IDAT") + 4 : -16])
    assert {raw[r * 80] for r in range(79)} == {2}  # every row: filter Up
    assert max(len(p) for p in pngs) < 1500  # a smooth 79 × 79 field: about a kilobyte
    with pytest.raises(ValueError, match="stack"):
        indexed_pngs(stack[0], palette)
    with pytest.raises(ValueError, match="indices"):
        indexed_pngs(stack.astype(int) + 1, palette)


def test_a_finished_figure_keeps_its_dict_until_plotly_reports_a_change():
    """Streamlit calls to_dict on every rerun: a finished figure builds it once; a change
    through Plotly's API builds it anew."""
    import copy

    from figures.common import FinishedFigure, finish

    f = finish({"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}, Style())
    assert isinstance(f, FinishedFigure)
    first = f.to_dict()
    assert f.to_dict() is first  # kept
    f.update_layout(height=300)
    assert f.to_dict() is not first and f.to_dict()["layout"]["height"] == 300
    f.data[0].marker.color = "red"
    assert f.to_dict()["data"][0]["marker"]["color"] == "red"
    f.layout.title.text = "t"
    assert f.to_dict()["layout"]["title"]["text"] == "t"
    f.add_scatter(x=[1], y=[2])
    assert len(f.to_dict()["data"]) == 2
    f.frames = [{"name": "a", "data": [{"x": [5]}]}]
    assert f.to_dict()["frames"][0]["name"] == "a"
    f.data = f.data[:1]
    assert len(f.to_dict()["data"]) == 1
    f.update_traces(line_width=3)
    assert f.to_dict()["data"][0]["line"]["width"] == 3
    f.update(layout_height=260)
    assert f.to_dict()["layout"]["height"] == 260
    assert copy.deepcopy(f).to_dict()["layout"]["height"] == 260


def test_the_reference_png_reader_reads_the_rgb_encoder_too():
    from figures.raster import banded_rgb, png_data_uri

    rgb = banded_rgb(np.arange(12.0).reshape(3, 4), bands=5)
    decoded, indices = decode_png(base64.b64decode(png_data_uri(rgb).split(",", 1)[1]))
    assert indices is None
    np.testing.assert_array_equal(decoded, rgb)


def test_log_axes_label_every_tick_at_the_axis_font_size():
    wide = log_axis([1e-5, 5.0, 20.0], [np.nan, -1.0])  # six decades; NaN and ≤ 0 ignored
    assert wide == {"type": "log", "dtick": 1, "exponentformat": "power"}
    assert log_axis([1, 256])["exponentformat"] == "none"  # 1, 10, 100 — not 10²
    narrow = log_axis([2.4, 31.0])  # 1.1 decades: explicit 1-2-5 ticks, no small digits
    assert narrow["tickvals"] == pytest.approx([1, 2, 5, 10, 20, 50, 100, 200, 500])
    assert narrow["ticktext"] == ["1", "2", "5", "10", "20", "50", "100", "200", "500"]
    tiny = log_axis([3e-6, 4e-5])
    assert tiny["ticktext"][:4] == ["10⁻⁶", "2×10⁻⁶", "5×10⁻⁶", "10⁻⁵"]
    assert log_axis([]) == {"type": "log", "dtick": 1, "exponentformat": "power"}
    assert log_axis([1e-16, 10.0])["dtick"] == 3  # 17 decades: every third power of ten


def _ball_figure():
    ball = SURFACES["asymmetric_double_well"]
    traj = run(ball, [RunGroup(OPTIMIZERS["sgd"](lr=0.01), [[1.9]])], 300)
    return rolling_figure(ball, traj, ["ball"], Style())


def test_pause_uses_plotlys_documented_form_and_the_export_guards_it():
    fig = _ball_figure()
    buttons = json.loads(fig.to_json())["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["▶ Slow", "▶ Play", "▶ Fast", "‖ Pause"]
    assert buttons[-1]["args"] == [
        [None],  # no frame: stop; a bare None would play every frame
        {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
         "transition": {"duration": 0}},
    ]  # fmt: skip
    assert [b["args"][0] for b in buttons[:3]] == [None, None, None]  # play all frames ...
    assert [b["args"][1]["frame"]["duration"] for b in buttons[:3]] == [160, 60, 20]
    assert all(b["args"][1]["fromcurrent"] for b in buttons[:3])  # ... from where it stands
    assert standalone_html(fig).count(PLAYBACK_GUARD_JS) == 1


def test_pausing_in_a_browser_raises_no_page_error(tmp_path):
    """Pause during playback: Plotly rejects the interrupted animation's promise with no
    reason, which the browser reports as an "undefined" page error unless guarded."""
    import time
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "ball.html"
    page_file.write_text(standalone_html(_ball_figure()), encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        label = page.locator(".slider-group > .slider-label").first
        label.wait_for(timeout=20_000)
        page.locator(".updatemenu-button", has_text="Slow").click(force=True)
        page.wait_for_function(
            "el => el.textContent.trim() !== 'Step 0'", arg=label.element_handle(), timeout=10_000
        )
        page.locator(".updatemenu-button", has_text="Pause").click(force=True)
        time.sleep(0.2)
        paused = label.text_content()
        time.sleep(0.4)
        assert label.text_content() == paused != "Step 300"  # it stopped mid-way
        browser.close()
    assert errors == []


def test_a_log_axis_over_more_decades_than_a_float_can_divide_still_has_ticks():
    """A diverging run's losses span 1e-30 … 1e300: max / min overflows (a rolling-ball
    rerun failed on it under the class simulator); the axis must still be drawn."""
    axis = log_axis([1e-30, 1.0, 1e300])
    assert axis["type"] == "log" and axis["dtick"] == math.ceil(330 / 7)
    assert log_axis([1e-300, 1e300])["dtick"] == math.ceil(600 / 7)


def test_a_finished_figures_dict_encodes_numpy_arrays_as_plotly_does_without_touching_it():
    """``FinishedFigure.to_dict`` shares the figure's containers; the NumPy arrays plotly's
    ``to_dict`` turns into typed arrays are turned into them in copies, the figure keeps its
    arrays, and the JSON is plotly's to the byte."""
    import numpy as np
    import plotly.graph_objects as go
    import plotly.io as pio

    from figures.common import finish

    x = np.arange(5.0)
    fig = finish({"data": [{"type": "scatter", "x": x, "y": [1, 2, 3, 4, 5],
                            "marker": {"color": np.array([0, 1, 0, 1, 0])},
                            "customdata": [[1, "a"], [2, "b"]]},
                           {"type": "scatter", "x": [0, 1], "y": (2.5, None)}],
                  "layout": {"xaxis": {"range": np.array([0.0, 4.0])}}}, Style())  # fmt: skip
    ours = fig.to_dict()
    assert pio.to_json(ours, validate=False) == pio.to_json(go.Figure.to_dict(fig), validate=False)
    assert ours["data"][0]["x"]["dtype"] == "f8"  # a typed array, as plotly writes it
    assert ours["data"][0]["marker"]["color"]["bdata"]
    assert isinstance(fig.data[0].x, np.ndarray)  # the figure itself still holds its arrays
    assert isinstance(fig.data[0].marker.color, np.ndarray)
    assert ours["data"][1] is fig._data[1]  # what holds no array is shared, not copied
    assert ours["layout"]["xaxis"]["range"] is fig._layout["xaxis"]["range"]  # "range": skipped
