"""The training lesson's inputs: hand-added points in the link and uploaded CSV files.

Points: exact round trips of the code (hypothesis), the documented examples, the cap, every kind
of bad code, adding and removing with numbers. CSV: a table of good files with their exact
arrays, a table of bad files with a phrase of each message, inert quoting of file text, and
arbitrary bytes never raising anything but ``UploadError``.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.training.points import (
    ALPHABET,
    MAX_POINTS,
    MAX_TEXT,
    Point,
    add_point,
    at_cap,
    decode_points,
    encode_points,
    points_arrays,
    quantise,
    remove_nearest,
    validate_text,
)
from ui.training.upload import MAX_BYTES, MAX_ROWS, UploadError, parse_csv, quoted

# ---------------------------------------------------------------------------------------------
# Points in the link

grid_points = st.builds(
    lambda k1, k2, label: Point(k1 / 20, k2 / 20, label),
    st.integers(-80, 80),
    st.integers(-80, 80),
    st.integers(0, 2),
)
any_points = st.builds(
    Point,
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 2),
)
URL_SAFE = re.compile(r"[A-Za-z0-9_.-]*")


@given(st.lists(grid_points, max_size=MAX_POINTS))
def test_grid_points_round_trip_exactly(points):
    text = encode_points(points)
    assert URL_SAFE.fullmatch(text) and len(text) == 3 * len(points)
    assert decode_points(text) == tuple(points)
    assert encode_points(decode_points(text)) == text == validate_text(text)


@given(st.lists(any_points, max_size=MAX_POINTS))
def test_any_points_come_back_snapped_to_the_grid(points):
    snapped = tuple(Point(quantise(p.x1), quantise(p.x2), p.label) for p in points)
    decoded = decode_points(encode_points(points))
    assert decoded == snapped
    assert all(-4 <= v <= 4 and round(v * 20) == v * 20 for p in decoded for v in p[:2])


triples = st.lists(st.text(alphabet=ALPHABET, min_size=3, max_size=3), max_size=MAX_POINTS)


@given(triples)
def test_a_code_is_valid_exactly_when_each_triple_is_below_3_x_161_x_161_and_then_canonical(
    triples,
):
    text = "".join(triples)
    digits = [[ALPHABET.index(c) for c in triple] for triple in triples]
    valid = all(a * 64 * 64 + b * 64 + c < 3 * 161 * 161 for a, b, c in digits)
    try:
        points = decode_points(text)
    except ValueError as error:
        assert not valid and "class" in str(error)
    else:
        assert valid and encode_points(points) == text


@given(st.text(max_size=MAX_TEXT + 6))
def test_any_text_decodes_or_raises_a_value_error(text):
    try:
        points = decode_points(text)
    except ValueError:
        return
    assert encode_points(points) == text


@pytest.mark.parametrize(
    ("point", "code"),
    [(Point(0, 0, 0), "DKg"), (Point(0, 0, 1), "Jfh"), (Point(1, -1, 1), "KRh"),
     (Point(-4, -4, 0), "AAA"), (Point(4, 4, 2), "S_C"), (Point(-4, -3.95, 0), "AAB"),
     (Point(-4, 4, 0), "ACg"), (Point(-3.95, -4, 0), "ACh")],
)  # fmt: skip
def test_the_documented_codes(point, code):
    assert encode_points([point]) == code and decode_points(code) == (point,)


@pytest.mark.parametrize(
    ("value", "snapped"),
    [(0.0, 0.0), (0.124, 0.1), (0.125, 0.15), (-0.125, -0.1), (1.234, 1.25), (-3.85, -3.85),
     (3.99, 4.0), (4.0, 4.0), (5.0, 4.0), (-1e300, -4.0), (1e300, 4.0), (-0.0, 0.0)],
)  # fmt: skip
def test_quantise_snaps_to_twentieths_and_clamps_to_plus_minus_4(value, snapped):
    assert quantise(value) == snapped


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("DK", "each point takes 3"), ("DKgJ", "each point takes 3"),
     ("DK!", "character 3 of the points"), ("DK=", "character 3"), ("DKg,Jfh", "character 4"),
     ("DK.", "not a letter, digit"), ("DK g", "character 3"), ("DKé", "character 3"),
     ("S_D", "point 1 has class 3"), ("DKg___", "point 2 has class 10"),
     ("DKg" * (MAX_POINTS + 1), "too long"), ("!" * 10_000, "10000 characters is too long")],
)  # fmt: skip
def test_bad_codes_raise_a_value_error_that_says_why(text, phrase):
    with pytest.raises(ValueError, match=re.escape(phrase)):
        decode_points(text)
    with pytest.raises(ValueError, match=re.escape(phrase)):
        validate_text(text)


def test_the_empty_code_is_no_points():
    assert encode_points([]) == "" and decode_points("") == () and validate_text("") == ""


def test_the_cap_stops_adding_and_encoding():
    points: tuple[Point, ...] = ()
    for i in range(MAX_POINTS):
        assert not at_cap(points)
        points = add_point(points, i / 20 - 1.5, 0.3, i % 3)
    assert len(points) == MAX_POINTS and at_cap(points)
    assert add_point(points, 0.0, 0.0, 1) == points
    assert len(encode_points(points)) == MAX_TEXT == 180
    with pytest.raises(ValueError, match="at most 60 points"):
        encode_points([*points, Point(0, 0, 0)])


def test_add_point_snaps_and_appends_without_changing_its_input():
    before = (Point(0.5, 0.5, 0),)
    after = add_point(before, 1.234, -9.0, 2)
    assert before == (Point(0.5, 0.5, 0),)
    assert after == (Point(0.5, 0.5, 0), Point(1.25, -4.0, 2))
    assert add_point(after, 1.24, -4.1, 2) == (*after, Point(1.25, -4.0, 2))  # a repeat counts


@pytest.mark.parametrize(
    ("x1", "x2", "label"),
    [(0.0, 0.0, 3), (0.0, 0.0, -1), (0.0, 0.0, 1.0), (0.0, 0.0, True), (float("nan"), 0.0, 0),
     (0.0, float("inf"), 1)],
)  # fmt: skip
def test_add_point_refuses_a_bad_label_or_coordinate(x1, x2, label):
    with pytest.raises(ValueError):
        add_point((), x1, x2, label)


def test_remove_nearest_drops_the_closest_point_of_any_class():
    points = (Point(0, 0, 0), Point(1, 1, 1), Point(2, 2, 0), Point(-1, 2, 2))
    assert remove_nearest(points, 0.9, 1.2) == (Point(0, 0, 0), Point(2, 2, 0), Point(-1, 2, 2))
    assert remove_nearest(points, -3.0, 3.0) == points[:3]  # far from all: still the nearest
    assert remove_nearest(points, 1.6, 1.5) == (Point(0, 0, 0), Point(1, 1, 1), Point(-1, 2, 2))
    assert remove_nearest(points, 0.5, 0.5) == points[1:]  # a tie: the first added goes
    assert remove_nearest((), 0.0, 0.0) == ()
    twice = (Point(1, 1, 1), Point(1, 1, 1))
    assert remove_nearest(twice, 1.0, 1.0) == (Point(1, 1, 1),)


def test_points_arrays_are_float64_inputs_and_labels():
    X, y = points_arrays((Point(0.5, -1.0, 2), Point(0.05, 4.0, 0)))
    np.testing.assert_array_equal(X, [[0.5, -1.0], [0.05, 4.0]])
    np.testing.assert_array_equal(y, [2.0, 0.0])
    assert X.dtype == y.dtype == np.float64
    X, y = points_arrays(())
    assert X.shape == (0, 2) and y.shape == (0,) and X.dtype == y.dtype == np.float64


# ---------------------------------------------------------------------------------------------
# Uploaded CSV files

X8 = [(0.5 * i, 1.0 - i) for i in range(8)]  # the inputs of most files below
LABELS8 = [0, 1, 0, 1, 1, 0, 0, 1]


def csv(rows, sep=",", end="\n", header=None, bom=False):
    """Bytes of a CSV file with ``rows`` (tuples of numbers or text)."""
    lines = ([sep.join(header)] if header else []) + [sep.join(str(v) for v in row) for row in rows]
    return ("\ufeff" if bom else "").encode() + (end.join(lines) + end).encode()


def rows3(labels=LABELS8):
    return [(x1, x2, label) for (x1, x2), label in zip(X8, labels, strict=True)]


GOOD = {
    "no header": (csv(rows3()), "classification", X8, LABELS8, 2, ("x1", "x2", "label")),
    "header": (csv(rows3(), header=("x1", "x2", "label")), "classification", X8, LABELS8, 2,
               ("x1", "x2", "label")),
    "semicolons, x y class": (csv(rows3(), sep=";", header=("x", "y", "class")),
                              "classification", X8, LABELS8, 2, ("x", "y", "class")),
    "tabs": (csv(rows3(), sep="\t"), "classification", X8, LABELS8, 2, ("x1", "x2", "label")),
    "BOM and CRLF": (csv(rows3(), end="\r\n", bom=True, header=("a", "b", "c")),
                     "classification", X8, LABELS8, 2, ("a", "b", "c")),
    "old Mac CR": (csv(rows3(), end="\r"), "classification", X8, LABELS8, 2,
                   ("x1", "x2", "label")),
    "-1/1 labels": (csv(rows3([2 * v - 1 for v in LABELS8])), "classification", X8, LABELS8, 2,
                    ("x1", "x2", "label")),
    "labels 1.0 and 0e0": (csv(rows3(["1.0" if v else "0e0" for v in LABELS8])),
                           "classification", X8, LABELS8, 2, ("x1", "x2", "label")),
    "3 classes": (csv(rows3([0, 1, 2, 2, 1, 0, 2, 1])), "classification", X8,
                  [0, 1, 2, 2, 1, 0, 2, 1], 3, ("x1", "x2", "label")),
    "regression, 2 columns": (csv([(x1, x2) for x1, x2 in X8], header=("x", "target")),
                              "regression", [(x1,) for x1, _ in X8], [x2 for _, x2 in X8], 1,
                              ("x", "target")),
    "regression, 3 columns": (csv([(x1, x2, x1 * 2.5) for x1, x2 in X8]), "regression", X8,
                              [x1 * 2.5 for x1, _ in X8], 1, ("x1", "x2", "target")),
    "blank lines, spaces, quotes": (
        b'\n"x1" , "x2" , "label"\n\n' + b"\n".join(
            f"  {x1} ,{x2}  , {label}".encode() for (x1, x2), label in zip(X8, LABELS8,
                                                                            strict=True)
        ) + b"\n\n\n", "classification", X8, LABELS8, 2, ("x1", "x2", "label")),
    "exponents, signs, .5": (
        csv([("-1.5e2", "+.5", 0), ("3.", "2E-1", 1), *rows3()[2:]]), "classification",
        [(-150.0, 0.5), (3.0, 0.2), *X8[2:]], LABELS8, 2, ("x1", "x2", "label")),
    "odd header names": (csv(rows3(), header=("<b>x</b>", "[y](z)", "*label*")),
                         "classification", X8, LABELS8, 2, ("bxb", "yz", "label")),
}  # fmt: skip


@pytest.mark.parametrize("name", GOOD)
def test_good_files_give_the_exact_arrays(name):
    content, task, X, y, n_classes, columns = GOOD[name]
    up = parse_csv(content, task)
    np.testing.assert_array_equal(up.X, np.array(X, dtype=np.float64))
    np.testing.assert_array_equal(up.y, np.array(y, dtype=np.float64))
    assert up.X.dtype == up.y.dtype == np.float64 and up.X.flags.c_contiguous
    assert (up.n_classes, up.columns) == (n_classes, columns)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("no header", None), ("header", "Row 1 was read as a header (`x1`, `x2`, `label`)"),
     ("semicolons, x y class", "separated by semicolons"), ("tabs", "separated by tabs"),
     ("-1/1 labels", "The labels -1 and 1 were read as classes 0 and 1."),
     ("regression, 2 columns", "Two columns: read as x and the target"),
     ("blank lines, spaces, quotes", "Row 2 was read as a header"),
     ("odd header names", "(`<b>x</b>`, `[y](z)`, `*label*`)")],
)  # fmt: skip
def test_notes_say_what_was_assumed(name, phrase):
    notes = parse_csv(*GOOD[name][:2]).notes
    assert notes == () if phrase is None else any(phrase in note for note in notes), notes


def with_cell(row, column, text, rows=None):
    """``rows3()`` (or ``rows``) with one cell replaced by ``text``."""
    rows = [list(r) for r in (rows or rows3())]
    rows[row][column] = text
    return csv(rows)


def many(n):
    return csv([(i % 7, i % 5, i % 2) for i in range(n)])


CLASSIFY, REGRESS = "classification", "regression"
BAD = {
    "missing column": (csv([*rows3()[:4], (1, 2), *rows3()[4:]]), CLASSIFY,
                       "Row 5 has 2 columns, but the file's rows have 3"),
    "extra column": (csv([*rows3()[:4], (1, 2, 0, 9), *rows3()[4:]]), CLASSIFY,
                     "Row 5 has 4 columns"),
    "trailing separator": (csv([*rows3()[:2], (1, 2, 0, ""), *rows3()[2:]]), CLASSIFY,
                           "Row 3 has 4 columns, but the file's rows have 3 (`x1`, `x2`, `label`)"
                           ". Delete the separator(s) at the end"),
    "short row after a header": (b"x,y,c\n" + csv([*rows3()[:6], (1,), *rows3()[6:]]), CLASSIFY,
                                 "Row 8 has 1 column, "),
    "not a number": (with_cell(2, 1, "abc"), CLASSIFY,
                     "Row 3, column 2 is `abc`, which is not a number"),
    "hex": (with_cell(0, 0, "0x10"), CLASSIFY, "Row 1, column 1 is `0x10`, which is not"),
    "underscore digits": (with_cell(0, 0, "1_000"), CLASSIFY, "is `1_000`, which is not"),
    "arabic digit": (with_cell(0, 0, "٣"), CLASSIFY, "is `\\u0663`, which is not a number"),
    "empty cell": (with_cell(3, 0, ""), CLASSIFY, "Row 4, column 1 is empty"),
    "nan": (with_cell(1, 1, "nan"), CLASSIFY, "Row 2, column 2 is `nan`: NaN"),
    "NA": (with_cell(1, 0, "NA"), CLASSIFY, "is `NA`: NaN, “not a number”"),
    "inf": (with_cell(4, 0, "inf"), CLASSIFY, "Row 5, column 1 is `inf`: an infinite value"),
    "-Infinity": (with_cell(4, 1, "-Infinity"), CLASSIFY, "`-Infinity`: an infinite value"),
    "1e400": (with_cell(5, 0, "1e400"), CLASSIFY,
              "Row 6, column 1 is `1e400`: too large for a computer's numbers, so it reads as "
              "infinite"),
    "1e400 label": (with_cell(5, 2, "1e400"), CLASSIFY, "Row 6, column 3 is `1e400`"),
    "a 5,000-digit number": (with_cell(0, 0, "9" * 5000), CLASSIFY,
                             "`99999999999999999999999999999…`, which is not a number"),
    "decimal comma": (csv([*rows3()[:7], ("0,5", 1, 1)], sep=";"), CLASSIFY,
                      "Row 8, column 1 is `0,5`, which is not a number here: write decimals "
                      "with a point"),
    "coordinate too big": (with_cell(6, 1, "2e6"), CLASSIFY,
                           "Row 7, column 2 is `2e6`; values must lie between -1,000,000 and "
                           "1,000,000"),
    "target too big": (csv([(x1, -3e7) for x1, _ in X8]), REGRESS,
                       "Row 1, column 2 is `-30000000.0`; values must lie between"),
    "too many rows": (many(MAX_ROWS + 1), CLASSIFY, "The file has 5,001 data rows; the limit is "
                                                    "5,000"),
    "too few rows": (csv(rows3()[:3]), CLASSIFY, "The file has 3 data rows; training needs at "
                                                 "least 8"),
    "one row": (csv(rows3()[:1]), CLASSIFY, "The file has 1 data row; training"),
    "header only": (b"x1,x2,label\n", CLASSIFY, "The file has 0 data rows"),
    "single class": (csv(rows3([1] * 8)), CLASSIFY,
                     "All labels are 1: a classifier needs two classes"),
    "single class -1": (csv(rows3([-1] * 8)), CLASSIFY, "All labels are -1: a classifier"),
    "label 0.5": (with_cell(3, 2, "0.5"), CLASSIFY,
                  "Row 4, column 3: the label is 0.5, not a whole number"),
    "label 7": (with_cell(3, 2, "7"), CLASSIFY, "Row 4, column 3: the label is 7; labels must "
                                                "be 0, 1 or 2"),
    "label -1 among 0, 1": (with_cell(6, 2, "-1"), CLASSIFY,
                            "Row 7, column 3: the label is -1; labels must be 0, 1 or 2, the "
                            "number of the point's class (-1 is read only in a file labelled -1 "
                            "and 1)"),
    "4 classes": (csv(rows3([0, 1, 2, 3, 0, 1, 2, 3])), CLASSIFY,
                  "The labels have 4 different values (0, 1, 2, 3); this lab handles at most 3"),
    "8 classes": (csv(rows3(list(range(8)))), CLASSIFY, "8 different values (0, 1, 2, 3, 4, …)"),
    "a gap in the classes": (csv(rows3([0, 2] * 4)), CLASSIFY,
                             "No row has the label 1, but some have 2"),
    "no class 0": (csv(rows3([1, 2] * 4)), CLASSIFY, "No row has the label 0, but some have 2"),
    "2 columns for classification": (csv(X8), CLASSIFY,
                                     "The first row has 2 columns; a classification file needs "
                                     "3: x1, x2, label"),
    "4 columns for regression": (csv([(1, 2, 3, 4)] * 8), REGRESS,
                                 "a regression file needs 2 (x, target) or 3 (x1, x2, target)"),
    "one column": (b"1\n2\n3\n4\n5\n6\n7\n8\n", REGRESS, "Row 1 has a single column"),
    "spaces as separators": (b"\n\n1 2 0\n" * 9, CLASSIFY, "Row 3 has a single column"),
    "binary garbage": (bytes(range(256)) * 4, CLASSIFY, "This is not a text file"),
    "PNG": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", CLASSIFY, "not a text file"),
    "Excel workbook": (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb2", CLASSIFY,
                       "(It looks like an Excel workbook.)"),
    "NUL bytes": (csv(rows3()) + b"\x00\x00", CLASSIFY, "not a text file"),
    "UTF-16": ("x1,x2,label\n0,0,1\n".encode("utf-16"), CLASSIFY, "not a text file"),
    "empty": (b"", CLASSIFY, "The file is empty"),
    "blank lines only": (b"\n \r\n\t\n", CLASSIFY, "The file is empty"),
    "BOM only": (b"\xef\xbb\xbf", REGRESS, "The file is empty"),
    "over MAX_BYTES": (b"0,0,1\n" * (MAX_BYTES // 6 + 1), CLASSIFY,
                       "The file is 1,000,002 bytes; the limit is 1,000,000 bytes"),
    "Markdown link": (with_cell(2, 2, "[x](javascript:alert(1))"), CLASSIFY,
                      "Row 3, column 3 is `[x](javascript:alert(1))`, which is not a number"),
    "HTML script": (with_cell(0, 1, "<script>alert(`hi`)</script>"), CLASSIFY,
                    "Row 1, column 2 is `<script>alert('hi')</script>`, which is not"),
    "HTML image": (with_cell(0, 1, '<img src=x onerror="alert(1)" />'), CLASSIFY,
                   "is `<img src=x onerror=\"alert(1)\"…`, which"),
    "right-to-left override": (with_cell(0, 0, "1\u202e2"), CLASSIFY, "is `1\\u202e2`, which"),
    "escape sequences": (with_cell(0, 0, "a\\b\x1b[31m"), CLASSIFY, "is `a\\\\b\\x1b[31m`"),
    "Markdown in a header with too many columns": (b"[a](b),**c**,<i>d</i>,e\n", CLASSIFY,
                                                   "The first row has 4 columns"),
}  # fmt: skip


@pytest.mark.parametrize("name", BAD)
def test_bad_files_say_what_is_wrong_and_where(name):
    content, task, phrase = BAD[name]
    with pytest.raises(UploadError) as caught:
        parse_csv(content, task)
    message = str(caught.value)
    assert phrase in message, message
    outside = re.sub(r"`[^`]*`", "", message)  # file text lives only inside code spans
    assert not set(outside) & set("<>[]*_`$#\\|~"), message
    assert len(message) < 400


@pytest.mark.parametrize(
    ("text", "shown"),
    [("abc", "`abc`"), ("", "`''`"), ("a`b", "`a'b`"), ("<script>", "`<script>`"),
     ("x" * 30, "`" + "x" * 30 + "`"), ("x" * 31, "`" + "x" * 29 + "…`"),
     ("é\n\t", "`\\xe9\\n\\t`"), ("\u202e" * 10, "`" + ("\\u202e" * 5)[:29] + "…`")],
)  # fmt: skip
def test_quoted_escapes_and_caps_file_text(text, shown):
    assert quoted(text) == shown
    assert len(quoted(text)) <= 32  # 30 characters between the backticks


def test_an_unknown_task_is_a_programming_error():
    with pytest.raises(ValueError, match="task must be one of") as caught:
        parse_csv(csv(rows3()), "clustering")
    assert not isinstance(caught.value, UploadError)


CSV_BYTES = st.lists(st.sampled_from(list('0123456789.,;\t\n\r -eE+"x\x00`')), max_size=400)


@settings(max_examples=200)
@given(st.one_of(st.binary(max_size=400), CSV_BYTES.map(lambda chars: "".join(chars).encode())))
def test_any_bytes_give_data_or_an_upload_error(content):
    for task in ("classification", "regression"):
        try:
            up = parse_csv(content, task)
        except UploadError as error:
            assert str(error)
        else:
            assert up.X.shape[0] == up.y.shape[0] >= 8 and np.isfinite(up.X).all()
