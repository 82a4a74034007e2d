"""The "What is training?" figures: the animated stage, the network's thumbnails, one step of
the loop, and the history CSV — built from real (small) training runs."""

import base64
import csv
import io
import itertools
import json
from typing import NamedTuple

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.nn import MLPSpec
from engine.optimizers import sgd
from engine.training import TrainRun, train
from figures.animation import add_playback
from figures.store import Store
from figures.style import Style
from figures.training import (
    STAGE_PICKER_TRACE,
    history_csv,
    network_figure,
    step_figure,
    training_stage_figure,
)
from figures.training_panels import MAX_DOTS
from figures.training_planes import (
    GREY_COLOUR,
    HEAT,
    SHADES,
    SOURCES,
    UPSAMPLE,
    plane_indices,
    plane_palette,
    plane_sources,
    shades_per_class,
)
from figures.training_stage import PLANE_SHARE
from tests.plotly_json import decode
from tests.test_figures import decode_png

MOONS = make_dataset("moons", n=200)
LABELS = ["A", "B"]
MOVING = ("prediction", "misclassified", "now", "current value")  # what frames may update


def _runs(*lrs, batch=16):
    return [TrainRun(sgd(lr=lr), batch) for lr in lrs]


@pytest.fixture(scope="module")
def default_like():
    """Two runs, 120 frames, a 40 × 40 grid: the stage as the lesson first shows it."""
    return train(MLPSpec(hidden=(8, 8)), MOONS, _runs(0.1, 1.0), epochs=12, grid_size=40)


@pytest.fixture(scope="module")
def small():
    return train(MLPSpec(hidden=(8, 8)), MOONS, _runs(0.1, 1.0), epochs=3, n_frames=12,
                 grid_size=20)  # fmt: skip


@pytest.fixture(scope="module")
def diverged():
    result = train(MLPSpec(hidden=(8, 8)), MOONS, _runs(0.1, 1e4), epochs=3, n_frames=12,
                   grid_size=20)  # fmt: skip
    assert result.diverged_at[0] == -1 and result.diverged_at[1] >= 0
    return result


@pytest.fixture(scope="module")
def three():
    data = make_dataset("blobs3", n=150)
    spec = MLPSpec(hidden=(8,), output="softmax_ce", n_outputs=3)
    return data, train(spec, data, _runs(0.3), epochs=4, n_frames=10, grid_size=20)


@pytest.fixture(scope="module")
def regression():
    data = make_dataset("sine", n=100)
    spec = MLPSpec(n_inputs=1, hidden=(8,), output="mse", activation="tanh")
    return data, train(spec, data, _runs(0.05, 0.5), epochs=4, n_frames=10, grid_size=30)


def _spec(fig):
    return json.loads(fig.to_json())


def _named(spec, prefix):
    return [i for i, t in enumerate(spec["data"]) if t.get("name", "").startswith(prefix)]


def _z(update):
    rows, cols = (int(n) for n in update["z"]["shape"].split(","))
    assert update["z"]["dtype"] == "u1"
    return decode(update["z"]).reshape(rows, cols)


def _png(image):
    """A layout image's pixels: ``(rgb (H, W, 3), palette indices (H, W))``, row 0 the top."""
    head, body = image["source"].split(",", 1)
    assert head == "data:image/png;base64"
    return decode_png(base64.b64decode(body))


def _images(spec, frame=None):
    """The planes' images: of the figure as drawn first, or of a frame."""
    return (spec["layout"] if frame is None else frame["layout"])["images"]


def _at_grid(pixels):
    """The pixels on the grid's points (every UPSAMPLE-th), turned so that row i is y[i]."""
    return pixels[::-1][::UPSAMPLE, ::UPSAMPLE]


def _rgb(colour):
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def _frame_update(spec, frame, trace):
    return frame["data"][frame["traces"].index(trace)]


def _font_sizes(node, path=""):
    """(path, size) of every font a figure spec sets, outside its template."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if "font" in key.lower() and isinstance(value, dict) and "size" in value:
                yield f"{path}.{key}", value["size"]
            yield from _font_sizes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _font_sizes(value, f"{path}[{i}]")


# ------------------------------------------------------------------ the stage


def test_the_default_stage_plays_without_redraws_its_planes_as_images(default_like):
    fig = training_stage_figure(default_like, MOONS, LABELS, picker=True, style=Style(height=470))
    text = fig.to_json()
    print(f"stage JSON at 2 runs × 120 frames × 40² (200 points): {len(text):,} characters")
    assert len(text) <= 1_000_000
    spec = json.loads(text)
    frames = spec["frames"]
    assert len(frames) == 120 == len(default_like.frame_steps)
    assert [f["name"] for f in frames] == [str(s) for s in default_like.frame_steps[:, 0]]
    slider = spec["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in slider] == [f["name"] for f in frames]
    # no redraw: the scatter traces and the frames' layout images animate without one
    assert not any(s["args"][1]["frame"]["redraw"] for s in slider)
    assert not any(b["args"][1]["frame"]["redraw"] for b in spec["layout"]["updatemenus"][0]
                   ["buttons"][:3])  # fmt: skip
    moving = frames[0]["traces"]
    assert all(f["traces"] == moving and len(f["data"]) == len(moving) for f in frames)
    assert all(set(f) == {"name", "traces", "data", "layout"} for f in frames)
    assert all(set(f["layout"]) == {"images"} for f in frames)  # the images, nothing else
    # Every trace is listed (plotly.js redraws only listed traces); the static ones — the
    # click grid, the points, the curves — with an empty update in every frame.
    assert moving == list(range(len(spec["data"])))
    changed = {i for f in frames for i, u in zip(f["traces"], f["data"], strict=True) if u}
    assert STAGE_PICKER_TRACE not in changed
    names = [spec["data"][i]["name"] for i in changed]
    assert all(any(word in n for word in MOVING) for n in names), names
    static = set(range(len(spec["data"]))) - changed
    assert {spec["data"][i]["name"] for i in static} >= {"class 0", "class 1", "A: train"}
    # no heatmap or contour anywhere: plotly.js drops them while scatter traces animate
    assert not [t for t in spec["data"] if t["type"] in ("heatmap", "contour")]
    assert not [u for f in frames for u in f["data"] if "z" in u or "type" in u]
    first = _images(spec)
    assert [im["name"] for im in first] == ["A: prediction", "B: prediction"]
    geometry = [{k: v for k, v in im.items() if k != "source"} for im in first]
    for frame in frames:
        images = _images(spec, frame)
        assert len(images) == 2  # every plane's image, in the planes' order
        assert [{k: v for k, v in im.items() if k != "source"} for im in images] == geometry
    assert [im["source"] for im in first] == [im["source"] for im in _images(spec, frames[0])]
    side = UPSAMPLE * 39 + 1
    for frame in frames[::17]:
        for im in _images(spec, frame):
            rgb, indices = _png(im)
            assert rgb.shape == (side, side, 3) and indices.max() < 2 * SHADES + 2


def test_the_planes_images_change_from_the_first_frame_to_the_last(default_like):
    spec = _spec(training_stage_figure(default_like, MOONS, LABELS, style=Style()))
    first, last = _images(spec, spec["frames"][0]), _images(spec, spec["frames"][-1])
    for k in range(2):
        assert first[k]["source"] != last[k]["source"]
        before, after = _png(first[k])[1], _png(last[k])[1]
        assert (before != after).mean() > 0.2  # the boundary moved, the colours deepened
        # trained: most of the plane is sure, far from white (index SHADES)
        assert np.mean(np.abs(after.astype(int) - SHADES) >= SHADES // 2) > 0.6
    sources = [_images(spec, f)[0]["source"] for f in spec["frames"]]
    assert len(set(sources)) > 100  # nearly every frame shows a new picture


def test_the_page_default_stage_is_well_under_a_megabyte():
    """The stage as the lesson first shows it (moons, N = 500, two runs, 120 frames, 40²)."""
    from ui.training.compute import dataset, setup_from, training
    from ui.training.params import LESSON

    values = LESSON.defaults()
    LESSON.constrain(values)
    setup = setup_from(values, 0)
    result = training(setup)
    assert result.grid_output.shape[:3] == (120, 2, 40)
    fig = training_stage_figure(result, dataset(setup.data), list(setup.labels), picker=True,
                                style=Style(height=470))  # fmt: skip
    text = fig.to_json()
    spec = json.loads(text)
    pngs = [len(base64.b64decode(im["source"].split(",", 1)[1]))
            for f in spec["frames"] for im in _images(spec, f)]  # fmt: skip
    uris = sum(len(im["source"]) for f in spec["frames"] for im in _images(spec, f))
    print(f"page-default stage JSON: {len(text):,} characters; {len(pngs)} PNGs of "
          f"{np.mean(pngs):.0f} bytes on average ({min(pngs)}–{max(pngs)}), {sum(pngs):,} "
          f"bytes in all, {uris:,} characters as data URIs")  # fmt: skip
    assert len(text) <= 1_000_000
    assert np.mean(pngs) <= 1200
    again = training_stage_figure(result, dataset(setup.data), list(setup.labels), picker=True,
                                  style=Style(height=470))  # fmt: skip
    assert again.to_json() == text  # byte-identical: the browser's animation does not restart


def test_every_plane_keeps_the_grids_extent_and_its_aspect(small):
    spec = _spec(training_stage_figure(small, MOONS, LABELS, style=Style()))
    x, y = small.grid_axes
    for n in ("", "2"):
        assert spec["layout"][f"xaxis{n}"]["range"] == pytest.approx([x[0], x[-1]])
        assert spec["layout"][f"yaxis{n}"]["range"] == pytest.approx([y[0], y[-1]])
        assert spec["layout"][f"yaxis{n}"]["scaleanchor"] == f"x{n}"
        assert spec["layout"][f"xaxis{n}"]["autorange"] is False
    for k, image in enumerate(_images(spec)):
        n = "" if k == 0 else str(k + 1)
        assert (image["xref"], image["yref"]) == (f"x{n}", f"y{n}")
        assert image["layer"] == "below" and image["sizing"] == "stretch"
        assert (image["xanchor"], image["yanchor"]) == ("left", "top")
        height, width = _png(image)[1].shape
        assert (height, width) == (UPSAMPLE * (len(y) - 1) + 1, UPSAMPLE * (len(x) - 1) + 1)
        # pixel centres on the grid: the first and the last pixel centred on its ends
        pixel_x, pixel_y = image["sizex"] / width, image["sizey"] / height
        assert image["x"] + pixel_x / 2 == pytest.approx(x[0])
        assert image["x"] + image["sizex"] - pixel_x / 2 == pytest.approx(x[-1])
        assert image["y"] - pixel_y / 2 == pytest.approx(y[-1])  # the top: y's end
        assert image["y"] - image["sizey"] + pixel_y / 2 == pytest.approx(y[0])
    # under the traces, over the plot's white: no plane hides the points
    assert spec["layout"]["plot_bgcolor"] == "white"


def test_the_image_shades_p_of_class_1_with_a_white_boundary(small):
    spec = _spec(training_stage_figure(small, MOONS, LABELS, style=Style()))
    rgb, indices = _png(_images(spec, spec["frames"][-1])[1])  # run B's last frame
    np.testing.assert_array_equal(rgb, plane_palette(2)[indices])
    p = small.grid_output[-1, 1].astype(np.float64)
    v = _at_grid(indices).astype(int) - SHADES  # signed shade on the grid's points
    expected = np.sign(p - 0.5) * np.round(SHADES * np.abs(2 * p - 1) ** 0.5)
    # the shading, except on the boundary line, which only makes pixels lighter
    same = v == expected
    assert same.mean() > 0.8
    assert (np.abs(v) <= np.abs(expected)).all()
    assert (np.sign(v[v != 0]) == np.sign(expected[v != 0])).all()  # never the other side
    # the line: white pixels wherever the prediction crosses ½ from one pixel to the next
    fine = indices.astype(int) - SHADES
    crossing = np.sign(fine[:, 1:]) * np.sign(fine[:, :-1]) < 0  # blue right next to orange
    assert not crossing.any() and (fine == 0).any()
    assert not [t for t in spec["data"] if t.get("marker", {}).get("showscale")]  # no bar
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "white line: decision boundary, P(class 1) = ½" in notes


def test_sure_regions_are_clearly_coloured_and_one_half_is_white():
    palette = plane_palette(2)
    assert len(palette) == 2 * SHADES + 2  # a few dozen colours: a small PNG

    def share(rgb, ref):  # how much of ref (over white) the colour holds
        full = _rgb(ref).astype(float)
        return float(np.mean((255 - rgb.astype(float)) / (255 - full)))

    np.testing.assert_array_equal(palette[SHADES], [255, 255, 255])  # P = ½
    np.testing.assert_array_equal(palette[-1], _rgb(GREY_COLOUR))  # a diverged network
    assert share(palette[0], "#0072B2") >= 0.55 and share(palette[2 * SHADES], "#D55E00") >= 0.55
    assert share(palette[0], "#0072B2") <= 0.7  # light enough for the points drawn on top
    # P = 0.8 already well coloured: over a third
    index = plane_indices(np.full((3, 3), 0.8), False, False)
    assert (index == index[1, 1]).all() and share(palette[index[1, 1]], "#D55E00") > 0.35
    # in the order of P: neighbours in P are neighbours in the palette (a small PNG)
    p = np.linspace(0.01, 0.99, 99)[None, :].repeat(3, axis=0)
    assert (np.diff(plane_indices(p, False, False)[1].astype(int)) >= 0).all()


def test_a_planes_images_are_encoded_once_per_distinct_predictions(monkeypatch):
    SOURCES.clear()
    p = np.random.default_rng(0).random((6, 9, 9)).astype(np.float32)
    first = plane_sources(p, False)
    assert len(first) == 6 and all(s.startswith("data:image/png;base64,") for s in first)
    assert plane_sources(p.astype(np.float64), False) is first  # the same predictions: kept
    assert plane_sources(p, True) != first  # discretized: other pictures
    changed = p.copy()
    changed[3, 4, 4] += 0.25
    again = plane_sources(changed, False)
    assert again is not first and again[3] != first[3] and again[:3] == first[:3]
    store = Store(budget=3 * sum(map(len, first)))  # room for about three runs
    for i in range(6):
        store.put(bytes([i]), list(first), sum(map(len, first)))
    assert store.size <= store.budget and store.get(bytes([0])) is None
    assert store.get(bytes([5])) is not None
    SOURCES.clear()


def test_misclassified_marks_count_what_the_network_gets_wrong(default_like):
    spec = _spec(training_stage_figure(default_like, MOONS, LABELS, style=Style()))
    n_train, n_test = len(MOONS.y_train), len(MOONS.y_test)
    moving = spec["frames"][0]["traces"]
    per_run = {part: [i for i in _named(spec, f"misclassified ({part})") if i in moving]
               for part in ("train", "test")}  # fmt: skip
    assert len(per_run["train"]) == len(per_run["test"]) == 2  # one of each per run
    for k, label in enumerate(LABELS):
        train_marks, test_marks = per_run["train"][k], per_run["test"][k]
        shown = []
        for trace, n, accuracy in ((train_marks, n_train, default_like.train_accuracy),
                                   (test_marks, n_test, default_like.test_accuracy)):  # fmt: skip
            marks = spec["data"][trace]
            assert decode(marks["x"]).size == n  # one mark a point, shown where it is wrong
            for f, frame in enumerate(spec["frames"]):
                opacity = decode(_frame_update(spec, frame, trace)["marker"]["opacity"])
                assert set(np.unique(opacity)) <= {0, 1}
                wrong = int(opacity.sum())
                shown.append(wrong)
                # the network's own decisions: exactly what the accuracy misses
                assert wrong == round((1 - accuracy[f, k]) * n), (label, f, wrong)
        assert max(shown) > 0 and min(shown) < max(shown)  # not vacuous: the marks move


def test_discretize_draws_only_the_class_colours_and_the_boundary(small):
    for colour, index in (("#0072B2", 0), ("#D55E00", 2 * SHADES)):  # the classes' flat colours
        flat = [round(255 - HEAT * (255 - int(v))) for v in _rgb(colour)]
        np.testing.assert_array_equal(plane_palette(2)[index], flat)
    spec = _spec(training_stage_figure(small, MOONS, LABELS, discretize=True, style=Style()))
    shaded = _spec(training_stage_figure(small, MOONS, LABELS, style=Style()))
    for k in range(2):
        for f, (frame, plain) in enumerate(zip(spec["frames"], shaded["frames"], strict=True)):
            _, indices = _png(_images(spec, frame)[k])
            in_flat = np.isin(indices, [0, 2 * SHADES])
            # a grid point two cells or more from the boundary (its 5 × 5 neighbours on its
            # side) is its class's flat colour — on the side of ½ it is on
            p = small.grid_output[f, k].astype(np.float64)
            side = np.sign(p - 0.5)
            inside = np.ones_like(p, bool)
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    inside &= np.roll(np.roll(side, dy, 0), dx, 1) == side
            inside[[0, 1, -2, -1]] = inside[:, [0, 1, -2, -1]] = False  # np.roll wraps around
            inside &= side != 0
            on_grid = _at_grid(indices).astype(int) - SHADES
            assert inside.sum() > 80
            np.testing.assert_array_equal(on_grid[inside], SHADES * side[inside])
            # off the flat colours: only the line, blending a class's colour into white
            fine = indices.astype(int) - SHADES
            line = ~in_flat
            assert (np.abs(fine[line]) < SHADES).all()
            near = np.zeros_like(line)  # within two pixels of a white (or nearly) pixel
            whiteish = np.abs(fine) <= SHADES // 2
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    near |= np.roll(np.roll(whiteish, dy, 0), dx, 1)
            assert near[line].all()
            # not vacuous: the shaded image draws confidence at most of the same points
            confident = _at_grid(_png(_images(shaded, plain)[k])[1]).astype(int) - SHADES
            assert (confident[inside] != SHADES * side[inside]).mean() > 0.3
        _, last = _png(_images(spec, spec["frames"][-1])[k])
        assert np.isin(last, [0, 2 * SHADES]).mean() > 0.85  # all but the line
    assert not [t for t in spec["data"] if t.get("marker", {}).get("showscale")]  # no bar


def test_three_classes_draw_class_and_confidence_in_one_image(three):
    data, result = three
    Q = shades_per_class(3)
    assert Q == SHADES and len(plane_palette(3)) == 3 * Q + 1
    for discretize in (False, True):
        spec = _spec(training_stage_figure(result, data, ["A"], discretize=discretize,
                                           style=Style()))  # fmt: skip
        rgb, indices = _png(_images(spec, spec["frames"][-1])[0])
        np.testing.assert_array_equal(rgb, plane_palette(3)[indices])
        z = _at_grid(indices)
        np.testing.assert_array_equal(z // Q, result.grid_output[-1, 0].argmax(-1))
        assert {t["name"] for t in spec["data"]} >= {"class 0", "class 1", "class 2"}
        if discretize:
            assert len(np.unique(indices)) <= 3
            assert set(np.unique(indices % Q)) == {(Q - 1) // 2}
        else:
            assert len(np.unique(z % Q)) > 8  # confidence steps
    assert "accuracy" in json.dumps(spec["layout"])
    assert shades_per_class(40) == 6 and len(plane_palette(40)) <= 256  # many classes fit


def test_regression_draws_the_prediction_curve_and_the_loss_only(regression):
    data, result = regression
    spec = _spec(training_stage_figure(result, data, LABELS, picker=True, style=Style()))
    assert not [t for t in spec["data"] if t["type"] in ("heatmap", "contour")]
    assert "images" not in spec["layout"] and all("layout" not in f for f in spec["frames"])
    line = _named(spec, "B: prediction")[0]
    assert line in spec["frames"][0]["traces"]
    np.testing.assert_allclose(decode(spec["data"][line]["x"]), result.grid_axes[0], rtol=1e-6)
    np.testing.assert_allclose(decode(_frame_update(spec, spec["frames"][-1], line)["y"]),
                               result.grid_output[-1, 1], rtol=1e-6)  # fmt: skip
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert [t for t in titles if t.startswith("<b>loss</b>")]
    assert not [t for t in titles if "accuracy" in t]
    assert not _named(spec, "misclassified")
    points = spec["data"][_named(spec, "training points")[0]]
    np.testing.assert_allclose(decode(points["y"]), data.y_train, rtol=1e-6)


@pytest.mark.parametrize("x_axis, field", [("steps", "frame_steps"), ("epochs", "frame_epochs"),
                                           ("examples", "frame_examples")])  # fmt: skip
def test_the_curves_x_axis_is_steps_epochs_or_examples(small, x_axis, field):
    spec = _spec(training_stage_figure(small, MOONS, LABELS, x_axis=x_axis, style=Style()))
    expected = getattr(small, field)
    for k, label in enumerate(LABELS):
        (train_loss,) = [t for t in spec["data"] if t["name"] == f"{label}: train"
                         and "loss" in t["hovertemplate"]]  # fmt: skip
        np.testing.assert_allclose(decode(train_loss["x"]), expected[:, k], rtol=1e-6)
        np.testing.assert_allclose(decode(train_loss["y"]), small.train_loss[:, k], rtol=1e-6)
    now = _named(spec, "now")
    assert len(now) == 2  # one per curves panel
    for f, frame in enumerate(spec["frames"]):
        assert _frame_update(spec, frame, now[0])["x"] == pytest.approx([expected[f, 0]] * 2,
                                                                        rel=1e-3)  # fmt: skip
    with pytest.raises(ValueError, match="x_axis"):
        training_stage_figure(small, MOONS, LABELS, x_axis="seconds", style=Style())


def test_a_diverged_run_stops_its_curves_and_greys_its_plane(diverged):
    spec = _spec(training_stage_figure(diverged, MOONS, LABELS, style=Style()))
    dead = diverged.frame_steps[:, 1] >= diverged.diverged_at[1]
    assert dead.any() and not dead.all()
    (loss,) = [t for t in spec["data"] if t["name"] == "B: train" and "loss" in t["hovertemplate"]]
    y = decode(loss["y"])
    assert np.isnan(y[dead]).all() and np.isfinite(y[~dead]).all()
    grey = _rgb(GREY_COLOUR)
    for f, frame in enumerate(spec["frames"]):
        rgb, _ = _png(_images(spec, frame)[1])
        assert (rgb == grey).all(axis=-1).all() == dead[f]
        if dead[f]:  # one grey image, the same in every frame after the divergence
            assert _images(spec, frame)[1]["source"] == _images(spec, spec["frames"][-1])[1][
                "source"]  # fmt: skip
    assert any(f"diverged at step {diverged.diverged_at[1]}" in a["text"]
               for a in spec["layout"]["annotations"])  # fmt: skip
    healthy, _ = _png(_images(spec, spec["frames"][-1])[0])
    assert not (healthy == grey).all(axis=-1).any()
    moving = spec["frames"][0]["traces"]
    for part in ("train", "test"):  # a dead network decides nothing: no crosses on B
        _, marks = [i for i in _named(spec, f"misclassified ({part})") if i in moving]
        shown = np.array([decode(_frame_update(spec, frame, marks)["marker"]["opacity"]).sum()
                          for frame in spec["frames"]])  # fmt: skip
        assert (shown[dead] == 0).all() and shown[~dead].any()
    assert np.isnan(diverged.train_accuracy[dead, 1]).all()  # no measurement, not 50 %


def test_the_picker_covers_run_as_plane_and_stays_out_of_the_frames(small):
    spec = _spec(training_stage_figure(small, MOONS, LABELS, picker=True, style=Style()))
    picker = spec["data"][STAGE_PICKER_TRACE]
    assert picker["name"] == "picker" and picker["marker"]["opacity"] == 0
    assert picker["hoverinfo"] == "none"  # no label, but clicks still select
    assert picker.get("xaxis", "x") == "x" and picker.get("yaxis", "y") == "y"
    x, y = decode(picker["x"]), decode(picker["y"])
    assert x.size == 900
    (x0, x1), (y0, y1) = ((a[0], a[-1]) for a in small.grid_axes)
    np.testing.assert_allclose([x.min(), x.max(), y.min(), y.max()], [x0, x1, y0, y1], rtol=1e-6)
    # In every frame, but never changed by one (an empty update keeps its points drawn).
    assert all(f["data"][f["traces"].index(STAGE_PICKER_TRACE)] == {} for f in spec["frames"])
    plain = _spec(training_stage_figure(small, MOONS, LABELS, style=Style()))
    assert not _named(plain, "picker")


def test_extra_points_are_drawn_large_and_outlined_on_every_plane(small):
    X, y = np.array([[0.1, 0.2], [1.0, -1.0], [-1.5, 0.5]]), np.array([0, 1, 1])
    spec = _spec(training_stage_figure(small, MOONS, LABELS, extra_points=(X, y), style=Style()))
    mine = [spec["data"][i] for i in _named(spec, "your points")]
    assert len(mine) == 2
    np.testing.assert_allclose(decode(mine[0]["x"]), X[:, 0], rtol=1e-6)
    assert mine[0]["marker"]["symbol"] == ["circle", "square", "square"]
    assert mine[0]["marker"]["line"]["width"] >= 3
    assert mine[0]["marker"]["size"] > spec["data"][_named(spec, "class 0")[0]]["marker"]["size"]


def test_the_stage_is_deterministic_and_fits_a_single_run(small):
    first = training_stage_figure(small, MOONS, LABELS, picker=True, style=Style()).to_json()
    again = training_stage_figure(small, MOONS, LABELS, picker=True, style=Style()).to_json()
    assert first == again
    spec = _spec(training_stage_figure(_first_run(small), MOONS, ["only"], style=Style()))
    assert [im["name"] for im in _images(spec)] == ["only: prediction"]
    assert all(len(_images(spec, f)) == 1 for f in spec["frames"])
    assert "xaxis4" not in spec["layout"]
    with pytest.raises(ValueError, match="labels"):
        training_stage_figure(small, MOONS, ["A"], style=Style())


def _first_run(result):
    per_frame = ("frame_steps", "frame_epochs", "frame_examples", "train_loss", "test_loss",
                 "train_accuracy", "test_accuracy", "train_predicted", "test_predicted",
                 "grid_output")  # fmt: skip
    return result._replace(**{f: getattr(result, f)[:, :1] for f in per_frame},
                           diverged_at=result.diverged_at[:1])  # fmt: skip


def _height(domain):
    return domain[1] - domain[0]


@pytest.mark.parametrize("style", [Style(height=470), Style.projector_mode()],
                         ids=["laptop", "projector"])  # fmt: skip
def test_two_planes_fill_the_top_with_a_one_row_legend_above_and_playback_inside(small, style):
    layout = _spec(training_stage_figure(small, MOONS, LABELS, picker=True, style=style))["layout"]
    # the whole figure, playback included, on a laptop's first screen (768 − ~190 px above)
    assert layout["height"] <= (560 if not style.projector else 780)
    planes, curves = layout["yaxis"]["domain"], layout["yaxis3"]["domain"]
    assert layout["yaxis2"]["domain"] == planes and layout["yaxis4"]["domain"] == curves
    assert _height(planes) / (_height(planes) + _height(curves)) == pytest.approx(PLANE_SHARE)
    assert planes[1] == 1.0 and curves[0] == 0.0 and planes[0] > curves[1]
    # the planes side by side over the whole width, square cells, no tick labels in the way
    assert layout["xaxis"]["domain"][0] == 0.0 and layout["xaxis2"]["domain"][1] == 1.0
    for n in ("", "2"):
        assert layout[f"yaxis{n}"]["scaleanchor"] == f"x{n}"
        assert layout[f"xaxis{n}"]["showticklabels"] is False
    legend = layout["legend"]
    assert legend["orientation"] == "h" and legend["y"] > 1.0 and legend["yanchor"] == "bottom"
    assert layout["legend2"]["orientation"] == "h"  # the line key, on the curves' title row
    assert layout["legend2"]["y"] == pytest.approx(curves[1])
    # the buttons and the slider below the curves' x axis, inside the bottom margin
    margin = layout["margin"]
    plot_px = layout["height"] - margin["t"] - margin["b"]
    buttons, slider = layout["updatemenus"][0], layout["sliders"][0]
    below_px = -buttons["y"] * plot_px
    assert buttons["yanchor"] == slider["yanchor"] == "top" and slider["y"] == buttons["y"]
    assert 2.5 * style.tick_font < below_px  # under the tick labels and the axis title
    room = margin["b"] - below_px  # for the buttons' row ("Step n" on it) and the rail
    assert room >= 2.6 * style.font + 1.6 * style.tick_font
    assert slider["currentvalue"]["xanchor"] == "right"


def test_one_run_puts_its_plane_left_and_the_curves_stacked_beside_it(small):
    layout = _spec(training_stage_figure(_first_run(small), MOONS, ["A"], style=Style()))["layout"]
    plane_x, plane_y = layout["xaxis"]["domain"], layout["yaxis"]["domain"]
    assert plane_x[0] == 0.0 and plane_x[1] <= 0.55 and plane_y[1] == 1.0
    assert layout["yaxis"]["scaleanchor"] == "x"  # square, not stretched over the width
    loss, acc = (layout[f"yaxis{n}"]["domain"] for n in (2, 3))
    assert loss[0] > acc[1] and loss[1] == 1.0 and acc[0] == 0.0  # stacked
    assert min(layout["xaxis2"]["domain"][0], layout["xaxis3"]["domain"][0]) > plane_x[1]
    assert layout["xaxis3"]["title"]["text"] == "optimizer step"  # the lower one labels x
    assert layout["xaxis2"]["showticklabels"] is False


def test_add_playback_redraws_only_when_asked():
    plain = add_playback({"frames": []}, [0, 5], Style())
    assert not plain["layout"]["sliders"][0]["steps"][0]["args"][1]["frame"]["redraw"]
    assert not plain["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"]
    redraw = add_playback({"frames": []}, [0, 5], Style(), redraw=True)
    assert redraw["layout"]["sliders"][0]["steps"][1]["args"][1]["frame"]["redraw"]


# ------------------------------------------------------------------ the network


def _network(rng, layers, units, grid, n_in=2, n_out=1, one_d=False):
    sizes = [n_in, *[units] * layers, n_out]
    shape = (grid,) if one_d else (grid, grid)
    maps = [np.tanh(rng.standard_normal((n, *shape))).astype(np.float32) for n in sizes[1:-1]]
    maps.append(rng.uniform(0, 1, (n_out, *shape)).astype(np.float32))
    weights = [rng.standard_normal(pair) for pair in itertools.pairwise(sizes)]
    return maps, weights


def test_the_network_of_six_layers_of_sixteen_stays_small():
    maps, weights = _network(np.random.default_rng(0), 6, 16, 24)
    fig = network_figure(maps, weights, feature_labels=["x₁", "x₂"], activation="tanh",
                         style=Style())  # fmt: skip
    text = fig.to_json()
    print(f"network JSON at 6 layers × 16 units, 24² thumbnails: {len(text):,} characters")
    assert len(text) <= 300_000
    spec = json.loads(text)
    heatmaps = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 6 * 16 + 1
    assert all(_z(t).shape == (24, 24) for t in heatmaps)
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "tanh<br>−1 … 1" in notes and "P(class 1)<br>0 … 1" in notes
    assert network_figure(maps, weights, feature_labels=["x₁", "x₂"], activation="tanh",
                          style=Style()).to_json() == text  # fmt: skip


def test_weights_are_lines_whose_width_and_dash_say_their_size_and_sign():
    w1 = np.array([[2.0, -1.0], [0.5, 0.0]])
    w2 = np.array([[1.0], [-3.0]])
    maps = [np.zeros((2, 10, 10), np.float32), np.full((1, 10, 10), 0.5, np.float32)]
    spec = _spec(network_figure(maps, [w1, w2], feature_labels=["x₁", "x₂"],
                                activation="relu", style=Style()))  # fmt: skip
    keys = [t for t in spec["data"] if "weight" in t.get("name", "") and t["x"] == [None]]
    assert [t["name"] for t in keys] == ["positive weight", "negative weight (dashed)"]
    assert all(t.get("showlegend", True) for t in keys)  # each sign once in the legend
    lines = [t for t in spec["data"] if "weight" in t.get("name", "") and t not in keys]
    assert not any(t["showlegend"] for t in lines)
    segments = sum(int(np.isnan(decode(t["x"])).sum()) for t in lines)
    assert segments == 5  # every non-zero weight, one line each
    for t in lines:
        negative = t["name"].startswith("negative")
        assert (t["line"]["dash"] == "dash") == negative
    widths = {(t["name"], round(t["line"]["width"], 3)) for t in lines}
    widest = max(w for _, w in widths)
    # the largest |w| of each layer (2 and −3) gets the widest line; 0.5 of 2 a narrower one
    assert ("positive weight", widest) in widths and ("negative weight (dashed)", widest) in widths
    assert len({w for _, w in widths}) >= 3
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert any(n.startswith("relu<br>0 … ") for n in notes)


def test_one_dimensional_units_are_small_line_plots_and_bad_shapes_are_refused():
    maps, weights = _network(np.random.default_rng(1), 2, 4, 30, n_in=1, one_d=True)
    spec = _spec(network_figure(maps, weights, feature_labels=["x₁"], activation="linear",
                                style=Style()))  # fmt: skip
    assert not [t for t in spec["data"] if t["type"] == "heatmap"]
    curves = [t for t in spec["data"] if t.get("name", "").startswith("hidden 1")
              and "outline" not in t["name"]]  # fmt: skip
    assert len(curves) == 1 and np.isnan(decode(curves[0]["y"])).sum() == 4  # four units
    with pytest.raises(ValueError, match="do not join"):
        network_figure(maps, weights[:-1], feature_labels=["x₁"], activation="tanh",
                       style=Style())  # fmt: skip
    with pytest.raises(ValueError, match="do not join"):
        network_figure(maps, weights, feature_labels=["x₁", "x₂"], activation="tanh",
                       style=Style())  # fmt: skip


# ------------------------------------------------------------------ one step


class FakeStep(NamedTuple):
    """The fields of engine.training.StepDetail that step_figure reads."""

    step: int
    epoch: int
    batch_index: np.ndarray
    batch_inputs: np.ndarray
    batch_targets: np.ndarray
    outputs: np.ndarray
    example_losses: np.ndarray
    batch_loss: float
    grad_norms: np.ndarray
    update_norms: np.ndarray
    batch_loss_after: float
    diverged: bool


def _detail(data, idx, n_classes=2, diverged=False, layers=3):
    rng = np.random.default_rng(len(idx))
    B = len(idx)
    if data.task == "regression":
        outputs = data.y_train[idx] + 0.1 * rng.standard_normal(B)
    elif n_classes == 2:
        outputs = rng.uniform(0, 1, B)
    else:
        outputs = rng.dirichlet(np.ones(n_classes), B)
    nan = np.nan if diverged else 1.0
    return FakeStep(
        step=7, epoch=1, batch_index=np.asarray(idx), batch_inputs=data.X_train[idx],
        batch_targets=data.y_train[idx], outputs=outputs * nan,
        example_losses=rng.uniform(0, 1, B) * nan, batch_loss=0.5 * nan,
        grad_norms=np.linspace(0.1, 0.3, layers) * nan,
        update_norms=np.linspace(0.01, 0.03, layers) * nan, batch_loss_after=0.4 * nan,
        diverged=diverged,
    )  # fmt: skip


NAMES = ["layer 1", "layer 2", "output"]


@pytest.mark.parametrize("B", [1, 16, MAX_DOTS])
def test_a_small_batch_shows_a_dot_per_example(B):
    detail = _detail(MOONS, np.arange(B))
    spec = _spec(step_figure(detail, MOONS, layer_names=NAMES, style=Style()))
    predictions = [t for t in spec["data"] if t.get("name") == "P(class 1)"]
    assert sum(decode(t["y"]).size for t in predictions) == B
    np.testing.assert_allclose(np.sort(np.concatenate([decode(t["y"]) for t in predictions])),
                               np.sort(detail.outputs), rtol=1e-6)  # fmt: skip
    batch = [t for t in spec["data"] if t.get("name", "").startswith("batch: class")]
    assert sum(decode(t["x"]).size for t in batch) == B
    (grads,) = [t for t in spec["data"] if t.get("name") == "‖∇‖"]
    assert grads["x"] == NAMES
    np.testing.assert_allclose(decode(grads["y"]), detail.grad_norms, rtol=1e-6)
    (loss,) = [t for t in spec["data"] if t.get("name") == "batch loss"]
    assert loss["y"] == [0.5, 0.4]
    titles = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert f"B = {B}" in titles and "3. Backward pass" in titles and "‖∇‖ per layer" in titles


def test_the_whole_training_set_as_a_batch_becomes_histograms():
    N = len(MOONS.y_train)
    detail = _detail(MOONS, np.arange(N))
    spec = _spec(step_figure(detail, MOONS, layer_names=NAMES, style=Style()))
    bars = [t for t in spec["data"] if t.get("name", "").startswith("class ")]
    assert len(bars) == 2 and sum(decode(t["y"]).sum() for t in bars) == N
    assert "B = 160" in " ".join(a["text"] for a in spec["layout"]["annotations"])


def test_three_classes_and_regression_show_the_right_prediction(three, regression):
    data, _ = three
    detail = _detail(data, np.arange(12), n_classes=3)
    spec = _spec(step_figure(detail, data, layer_names=NAMES, style=Style()))
    own = [t for t in spec["data"] if t.get("name") == "P(its class)"]
    assert len(own) == 3
    values = np.concatenate([decode(t["y"]) for t in own])
    expected = detail.outputs[np.arange(12), detail.batch_targets.astype(int)]
    np.testing.assert_allclose(np.sort(values), np.sort(expected), rtol=1e-6)
    data, _ = regression
    for B in (10, len(data.y_train)):
        detail = _detail(data, np.arange(B))
        spec = _spec(step_figure(detail, data, layer_names=NAMES, style=Style()))
        if B <= MAX_DOTS:
            (pred,) = [t for t in spec["data"] if t.get("name") == "prediction ŷ"]
            np.testing.assert_allclose(decode(pred["y"]), detail.outputs, rtol=1e-6)
        else:
            (hist,) = [t for t in spec["data"] if t.get("name") == "ŷ − y"]
            assert decode(hist["y"]).sum() == B


def test_a_diverged_step_says_so_instead_of_drawing_nan():
    detail = _detail(MOONS, np.arange(8), diverged=True)
    spec = _spec(step_figure(detail, MOONS, layer_names=NAMES, style=Style()))
    assert not [t for t in spec["data"] if t["type"] == "bar"]
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert sum("is not finite" in t for t in texts) == 4  # forward, gradient, update, loss
    assert any("diverged" in t for t in texts)
    batch = [t for t in spec["data"] if t.get("name", "").startswith("batch: class")]
    assert sum(decode(t["x"]).size for t in batch) == 8  # the batch itself is known
    with pytest.raises(ValueError, match="layer names"):
        step_figure(detail, MOONS, layer_names=NAMES[:2], style=Style())


# ------------------------------------------------------------------ projector, CSV


def test_projector_mode_sets_every_font_to_22px_or_more(small, regression, three):
    style = Style.projector_mode()
    data, result = regression
    maps, weights = _network(np.random.default_rng(2), 2, 4, 12)
    figures = [
        training_stage_figure(small, MOONS, LABELS, picker=True, style=style),
        training_stage_figure(result, data, LABELS, style=style),
        training_stage_figure(three[1], three[0], ["A"], discretize=True, style=style),
        network_figure(maps, weights, feature_labels=["x₁", "x₂"], activation="relu",
                       style=style),
        step_figure(_detail(MOONS, np.arange(8)), MOONS, layer_names=NAMES, style=style),
        step_figure(_detail(MOONS, np.arange(8), diverged=True), MOONS, layer_names=NAMES,
                    style=style),
    ]  # fmt: skip
    for fig in figures:
        spec = _spec(fig)
        sizes = list(_font_sizes({"layout": spec["layout"], "data": spec["data"]}))
        assert len(sizes) > 5
        small_fonts = [(where, size) for where, size in sizes if size < 22]
        assert not small_fonts, small_fonts


def test_history_csv_has_a_row_per_run_and_frame_with_gaps_for_nan(diverged, regression):
    text = history_csv(diverged, LABELS)
    assert text == history_csv(diverged, LABELS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["run", "step", "epoch", "examples_seen", "train_loss", "test_loss",
                       "train_accuracy", "test_accuracy"]  # fmt: skip
    F = len(diverged.frame_steps)
    assert len(rows) == 1 + 2 * F
    first_b = rows[1 + F]
    assert first_b[0] == "B" and first_b[1] == str(diverged.frame_steps[0, 1])
    assert float(first_b[4]) == pytest.approx(diverged.train_loss[0, 1], rel=1e-9)
    assert int(rows[2][3]) == diverged.frame_examples[1, 0]
    dead = [r for r in rows[1 + F :] if int(r[1]) >= diverged.diverged_at[1]]
    assert dead and all(r[4:] == ["", "", "", ""] for r in dead)
    _, result = regression
    reg = list(csv.reader(io.StringIO(history_csv(result, LABELS))))
    assert all(r[6] == "" and r[7] == "" and r[4] for r in reg[1:])
    with pytest.raises(ValueError, match="labels"):
        history_csv(result, ["A"])
