"""A learner's own data: a CSV file read strictly, with a message a student can act on.

``parse_csv(content, task)`` reads the bytes of an uploaded file and returns an ``Uploaded``
(inputs, targets, number of classes, column names, notes), or raises ``UploadError`` whose
message says what is wrong, where (row and column, counted as a spreadsheet counts them:
row 1 is the file's first line) and what to do. It never raises anything else for any content.

What a file may be:

* UTF-8 text (a byte-order mark is fine), at most ``MAX_BYTES`` bytes; ``\\n``, ``\\r\\n`` or
  ``\\r`` line ends; blank lines are skipped (they still count in row numbers).
* Columns separated by commas, semicolons or tabs: the first row's separator (tab, else
  semicolon, else comma) is the file's. Spaces around a value and one pair of double quotes
  around it are ignored.
* An optional header: a first row in which no cell is a number (``x1,x2,label``,
  ``x,y,class``, ``x1,x2,target``). Columns are read by position, not by name.
* Columns: ``x1, x2, label`` for classification; ``x1, x2, target`` or ``x, target`` for
  regression. Every row has as many cells as the first.
* Numbers are plain ASCII decimals, optionally with an exponent (``0.5``, ``-1.2e3``, ``.5``);
  never evaluated. ``nan``, ``inf``, values that overflow (``1e400``) and coordinates or targets
  beyond ±``MAX_ABS`` are refused.
* ``MIN_ROWS`` to ``MAX_ROWS`` data rows.
* Classification labels are whole numbers 0, 1 (two classes) or 0, 1, 2 (three), every class
  present; a file labelled −1 and 1 is read as classes 0 and 1 (with a note).

Anything quoted from the file in a message goes through ``quoted``: escaped, at most 30
characters, inside a Markdown code span — so no file can put a link, HTML or formatting into
the page.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from i18n import N_, ProblemWithCounts, _, ngettext

MAX_BYTES = 1_000_000  # ~50 000 rows of three numbers; far beyond what a browser lesson needs
MAX_ROWS = 5000  # data rows: a full-batch step stays instant
MIN_ROWS = 8  # fewer cannot show a boundary, let alone a train/test split
MAX_ABS = 1e6  # larger coordinates are a unit mistake (or an ID column), not data to train on
MAX_CLASSES = 3
QUOTE_LIMIT = 30  # characters of file text shown in a message
TASKS = ("classification", "regression")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+", re.ASCII)
_NAN = frozenset({"nan", "+nan", "-nan", "na", "n/a", "#n/a", "null", "none"})
_INF = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "#div/0!"})
_MAX_CELL = 40  # characters: no number a person writes is longer; refused before the regex
_SEPARATORS = (("\t", N_("The columns are separated by tabs.")),
               (";", N_("The columns are separated by semicolons.")), (",", ""))  # fmt: skip
_COLUMNS = {
    ("classification", 3): ("x1", "x2", "label"),
    ("regression", 2): ("x", "target"),
    ("regression", 3): ("x1", "x2", "target"),
}

Array = NDArray[np.float64]


class UploadError(ProblemWithCounts):
    """A file that cannot be used; the message is written for the student who uploaded it
    (what is wrong, where, what to do) and is safe to show as Markdown."""


class Uploaded(NamedTuple):
    """A file's data, ready for the lesson.

    Attributes:
        X: the inputs, (n, 2) = (x1, x2), or (n, 1) = x for a two-column regression file.
        y: (n,) the labels 0.0, 1.0, 2.0 (classification) or the targets (regression).
        n_classes: 2 or 3 for classification; 1 for regression.
        columns: the column names — the header's (letters, digits, space, ``_ - .`` kept,
            at most 30 characters) or the defaults such as ``("x1", "x2", "label")``.
        notes: sentences (Markdown, file text quoted) on what was assumed, e.g. a skipped
            header or −1/1 labels.
    """

    X: Array
    y: Array
    n_classes: int
    columns: tuple[str, ...]
    notes: tuple[str, ...]


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as inert Markdown: a code span with control characters, line breaks and
    non-ASCII escaped (``\\n``, ``\\u202e``), backticks turned into ``'``, at most ``limit``
    characters (then ending in ``…``)."""
    escaped = text[: limit + 1].encode("unicode_escape").decode("ascii").replace("`", "'")
    if len(text) > limit or len(escaped) > limit:
        escaped = escaped[: limit - 1] + "…"
    return f"`{escaped}`" if escaped else "`''`"


def _decode(content: bytes) -> str:
    if not isinstance(content, bytes | bytearray | memoryview):
        raise UploadError(N_("That upload is not a file's contents."))
    if len(content) == 0:
        raise UploadError(N_("The file is empty. Choose a CSV file with one point per row."))
    if len(content) > MAX_BYTES:
        raise UploadError(
            N_("The file is {size} bytes; the limit is {limit} bytes (1 MB). Upload at most "
               "{rows} rows of numbers."),
            size=len(content), limit=MAX_BYTES, rows=MAX_ROWS,
        )  # fmt: skip
    try:
        text = bytes(content).decode("utf-8-sig")  # strips a byte-order mark
    except UnicodeDecodeError:
        text = "\x00"  # not UTF-8: refused below, like text holding a NUL byte
    if "\x00" in text:
        if bytes(content[:2]) == b"PK":
            raise UploadError(
                N_("This is not a text file: a CSV file is plain UTF-8 text. (It looks like an "
                   "Excel workbook.) Save it from your spreadsheet as “CSV UTF-8 (comma "
                   "delimited)” and upload that file.")
            )  # fmt: skip
        raise UploadError(
            N_("This is not a text file: a CSV file is plain UTF-8 text. Save it from your "
               "spreadsheet as “CSV UTF-8 (comma delimited)” and upload that file.")
        )  # fmt: skip
    return text


def _cell(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


def _is_number(cell: str) -> bool:
    return len(cell) <= _MAX_CELL and _NUMBER.fullmatch(cell) is not None


def _number(cell: str, row: int, column: int) -> float:
    """A cell's value, or UploadError naming the row, the column and the trouble."""
    where = {"row": row, "column": column}
    if not cell:
        raise UploadError(N_("Row {row}, column {column} is empty. Fill in a number or delete "
                             "the row."), **where)  # fmt: skip
    if cell.lower() in _NAN:
        raise UploadError(
            N_("Row {row}, column {column} is {cell}: NaN, “not a number”, a missing value. "
               "Fill in a number or delete the row."),
            cell=quoted(cell), **where,
        )  # fmt: skip
    if cell.lower() in _INF:
        raise UploadError(
            N_("Row {row}, column {column} is {cell}: an infinite value. Every value must be a "
               "finite number; fix it or delete the row."),
            cell=quoted(cell), **where,
        )  # fmt: skip
    if _DECIMAL_COMMA.fullmatch(cell):
        raise UploadError(
            N_("Row {row}, column {column} is {cell}, which is not a number here: write "
               "decimals with a point (0.5, not 0,5) and separate the columns with commas, "
               "semicolons or tabs."),
            cell=quoted(cell), **where,
        )  # fmt: skip
    if not _is_number(cell):
        raise UploadError(
            N_("Row {row}, column {column} is {cell}, which is not a number. Apart from a "
               "header row, every cell must be a plain number such as 0.5, -2 or 1.2e-3."),
            cell=quoted(cell), **where,
        )  # fmt: skip
    value = float(cell)
    if not math.isfinite(value):
        raise UploadError(
            N_("Row {row}, column {column} is {cell}: too large for a computer's numbers, so it "
               "reads as infinite. Values must lie between -{limit} and {limit}."),
            cell=quoted(cell), limit=round(MAX_ABS), **where,
        )  # fmt: skip
    return value


def _rows(text: str) -> list[tuple[int, str]]:
    """The non-blank lines with their row numbers (1-based, blank lines counted)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]


def _separator(row: int, first: str) -> tuple[str, str]:
    """The first row's separator, and the note that names it ("" for commas)."""
    for separator, note in _SEPARATORS:
        if separator in first:
            return separator, note
    raise UploadError(
        N_("Row {row} has a single column: no comma, semicolon or tab separates the values. "
           "Write each point on one row as x1, x2, label (or x, target), separated by commas."),
        row=row,
    )  # fmt: skip


def _width(task: str, found: int) -> tuple[str, ...]:
    """The default column names for a file whose rows have ``found`` cells."""
    if (task, found) in _COLUMNS:
        return _COLUMNS[task, found]
    if task == "classification":
        raise UploadError(lambda: ngettext(
            "The first row has {n} column; a classification file needs 3: x1, x2, label. "
            "Delete the other columns (an ID or row-number column, say) and upload again.",
            "The first row has {n} columns; a classification file needs 3: x1, x2, label. "
            "Delete the other columns (an ID or row-number column, say) and upload again.",
            found), n=found)  # fmt: skip
    raise UploadError(lambda: ngettext(
        "The first row has {n} column; a regression file needs 2 (x, target) or 3 (x1, x2, "
        "target). Delete the other columns (an ID or row-number column, say) and upload again.",
        "The first row has {n} columns; a regression file needs 2 (x, target) or 3 (x1, x2, "
        "target). Delete the other columns (an ID or row-number column, say) and upload again.",
        found), n=found)  # fmt: skip


def _name(cell: str, default: str) -> str:
    name = "".join(c for c in cell if c.isalnum() or c in " _-.")[:QUOTE_LIMIT].strip()
    return name or default


def _labels(labels: Array, rows: list[int], column: int) -> tuple[Array, int, list[str]]:
    """Class numbers 0 … K−1 from the label column, K, and notes; UploadError otherwise."""
    for value, row in zip(labels, rows, strict=True):
        if not float(value).is_integer():
            raise UploadError(
                N_("Row {row}, column {column}: the label is {label}, not a whole number. A "
                   "label names the point's class: 0 or 1 (or 0, 1, 2 for three classes)."),
                row=row, column=column, label=float(value),
            )  # fmt: skip
    classes = sorted({float(v) for v in labels})
    notes = []
    if classes == [-1.0, 1.0]:
        labels = np.where(labels == -1.0, 0.0, labels)
        classes = [0.0, 1.0]
        notes.append(_("The labels -1 and 1 were read as classes 0 and 1."))
    if len(classes) == 1:
        raise UploadError(
            N_("All labels are {label}: a classifier needs two classes. Give some points "
               "another label (0 or 1)."),
            label=classes[0],
        )  # fmt: skip
    if len(classes) > MAX_CLASSES:
        shown = ", ".join(f"{c:g}" for c in classes[:5]) + (", …" if len(classes) > 5 else "")
        raise UploadError(
            N_("The labels have {n} different values ({shown}); this lab handles at most "
               "{limit} classes, labelled 0, 1, 2. Keep at most three classes."),
            n=len(classes), shown=shown, limit=MAX_CLASSES,
        )  # fmt: skip
    for value, row in zip(labels, rows, strict=True):
        if value not in (0.0, 1.0, 2.0):
            template = (
                N_("Row {row}, column {column}: the label is {label}; labels must be 0, 1 or 2, "
                   "the number of the point's class (-1 is read only in a file labelled -1 and "
                   "1).") if value == -1 else
                N_("Row {row}, column {column}: the label is {label}; labels must be 0, 1 or 2, "
                   "the number of the point's class."))  # fmt: skip
            raise UploadError(template, row=row, column=column, label=float(value))
    missing = [c for c in range(round(classes[-1]) + 1) if c not in classes]
    if missing:
        raise UploadError(
            N_("No row has the label {missing}, but some have {label}. Number the classes 0, 1 "
               "(or 0, 1, 2) without gaps."),
            missing=missing[0], label=classes[-1],
        )  # fmt: skip
    return labels, len(classes), notes


def parse_csv(content: bytes, task: str) -> Uploaded:
    """The data in a CSV file's bytes, read by the rules in the module docstring.

    Args:
        content: the file's bytes, as uploaded.
        task: "classification" (columns x1, x2, label) or "regression" (x1, x2, target or
            x, target).

    Returns:
        ``Uploaded``: X (n, 2) or (n, 1) and y (n,), float64; n_classes (1 for regression);
        the column names; notes on what was assumed.

    Raises:
        UploadError: for every kind of unusable file, with a message for the student.
        ValueError: for an unknown ``task`` (a programming error, not the file's fault).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    rows = _rows(_decode(content))
    if not rows:
        raise UploadError(N_("The file is empty: it has no rows. Put one point on each row."))
    separator, separator_note = _separator(*rows[0])
    table = [(row, [_cell(c) for c in line.split(separator)]) for row, line in rows]
    notes = [_(separator_note)] if separator_note else []

    first_row, first = table[0]
    columns = _width(task, len(first))
    if not any(_is_number(cell) for cell in first):
        columns = tuple(_name(c, d) for c, d in zip(first, columns, strict=True))
        header = ", ".join(quoted(c) for c in first)
        notes.append(_("Row {row} was read as a header ({header}) and skipped.").format(
            row=first_row, header=header))  # fmt: skip
        table = table[1:]
    if len(table) > MAX_ROWS:
        raise UploadError(
            N_("The file has {n} data rows; the limit is {limit}. Keep a sample of at most "
               "{limit} rows."),
            n=len(table), limit=MAX_ROWS,
        )  # fmt: skip
    if len(table) < MIN_ROWS:
        count = len(table)
        raise UploadError(lambda: ngettext(
            "The file has {n} data row; training needs at least {least}. Add more points.",
            "The file has {n} data rows; training needs at least {least}. Add more points.",
            count), n=count, least=MIN_ROWS)  # fmt: skip

    width = len(columns)
    values = np.empty((len(table), width), dtype=np.float64)  # (n, columns)
    for i, (row, cells) in enumerate(table):
        if len(cells) != width:
            raise _row_width(row, len(cells), width, columns, trailing=not any(cells[width:]))
        for j, cell in enumerate(cells):
            values[i, j] = _number(cell, row, j + 1)

    numbers = [row for row, _cells in table]
    big = np.abs(values[:, :-1] if task == "classification" else values) > MAX_ABS
    if big.any():
        i, j = (int(k) for k in np.argwhere(big)[0])
        raise UploadError(
            N_("Row {row}, column {column} is {cell}; values must lie between -{limit} and "
               "{limit}. Rescale that column (e.g. thousands instead of units) or delete the "
               "row."),
            row=numbers[i], column=j + 1, cell=quoted(table[i][1][j]), limit=round(MAX_ABS),
        )  # fmt: skip
    X = np.ascontiguousarray(values[:, :-1])
    y = values[:, -1].copy()
    n_classes = 1
    if task == "classification":
        y, n_classes, label_notes = _labels(y, numbers, width)
        notes += label_notes
    elif width == 2:
        notes.append(_("Two columns: read as x and the target, a curve to fit."))
    return Uploaded(X, y, n_classes, columns, tuple(notes))


def _row_width(row: int, found: int, width: int, columns: tuple[str, ...],
               trailing: bool) -> UploadError:  # fmt: skip
    """A row of ``found`` cells in a file whose rows have ``width``: what to fix (fill in,
    delete the extra values, or the separators at its end when those cells are empty)."""
    values = {"row": row, "n": found, "width": width,
              "columns": ", ".join(quoted(c) for c in columns)}  # fmt: skip
    if found < width:
        return UploadError(lambda: ngettext(
            "Row {row} has {n} column, but the file's rows have {width} ({columns}). Fill in "
            "the missing values or delete the row.",
            "Row {row} has {n} columns, but the file's rows have {width} ({columns}). Fill in "
            "the missing values or delete the row.", found), **values)  # fmt: skip
    if trailing:
        return UploadError(lambda: ngettext(
            "Row {row} has {n} column, but the file's rows have {width} ({columns}). Delete "
            "the separator(s) at the end of the row or delete the row.",
            "Row {row} has {n} columns, but the file's rows have {width} ({columns}). Delete "
            "the separator(s) at the end of the row or delete the row.",
            found), **values)  # fmt: skip
    return UploadError(lambda: ngettext(
        "Row {row} has {n} column, but the file's rows have {width} ({columns}). Delete the "
        "extra ones or delete the row.",
        "Row {row} has {n} columns, but the file's rows have {width} ({columns}). Delete the "
        "extra ones or delete the row.", found), **values)  # fmt: skip
