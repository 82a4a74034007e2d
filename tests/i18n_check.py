"""Find text that escaped the catalogue: a page drawn in the pseudo language, read back.

In the pseudo language (``i18n.PSEUDO``) every catalogued text is wrapped in ``⟪…⟫``. A page run
under AppTest in it is read back element by element — titles, Markdown, captions, notices,
widget labels, help, options and values shown, buttons, expanders, tabs, metrics, tables, and
every chart's titles, axis titles, legend names, hover templates, annotations and playback
labels — and whatever is left once the marked spans are removed must hold no word: only
numbers, maths, symbols and the names that every language writes the same way (``SAME_IN_EVERY
LANGUAGE``). What does hold a word is a leak: a text shown without passing through ``_()``.

Run as ``python -m tests.i18n_check PAGE [--presets]`` to print the leaks of one page (``home``
or a lesson's path); ``tests/test_i18n_pages.py`` asserts there are none.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterator
from typing import Any

from google.protobuf.json_format import MessageToDict

from i18n import CLOSE, FORCE_ENV, LANGUAGE_NAMES, OPEN, PSEUDO

# Names written the same in English, Polish and Chinese texts (optimizers, functions, symbols,
# units, file formats, the product's own name), and maths' function names.
SAME_IN_EVERY_LANGUAGE = frozenset(
    [
        "SGD",
        "GD",
        "Adam",
        "AdaGrad",
        "Adagrad",
        "RMSProp",
        "RMSprop",
        "AdamW",
        "Nesterov",
        "Keras",
        "PyTorch",
        "TensorFlow",
        "ReLU",
        "relu",
        "tanh",
        "sigmoid",
        "Rosenbrock",
        "Rastrigin",
        "Beale",
        "Himmelblau",
        "MSE",
        "BCE",
        "XOR",
        "CSV",
        "HTML",
        "JSON",
        "PNG",
        "URL",
        "Descent",
        "Lab",
        "Plotly",
        "Streamlit",
        "Okabe",
        "Ito",
        "lr",
        "exp",
        "log",
        "ln",
        "sin",
        "cos",
        "max",
        "min",
        "argmin",
        "argmax",
        "sign",
        "abs",
        "sgn",
        "sqrt",
        "softmax",
        "px",
        "ms",
        "KB",
        "MB",
        "GB",
    ]
)
# The language menu names each language in itself, on purpose.
SAME_IN_EVERY_LANGUAGE |= frozenset(LANGUAGE_NAMES.values())
# Proto fields that hold identifiers, not text a learner reads.
SKIP_FIELDS = frozenset({
    "id", "formId", "key", "type", "icon", "color", "format", "spec", "theme", "url",
    "src", "mimetype", "fileName", "elementType", "widgetId", "useContainerWidth", "args",
    "selectionMode", "height", "width", "language", "scriptHash", "pageScriptHash", "urlPath",
    "default", "value", "rawValues", "deferredFileId", "options", "data", "arrowData", "styles",
    "page",
    "unsafeAllowHtml", "allowJavascript", "deltaPath", "fragmentId", "config",
})  # fmt: skip
# Text-bearing keys of a Plotly figure.
FIGURE_TEXT_KEYS = frozenset({"text", "name", "hovertemplate", "hovertext", "label", "prefix",
                              "suffix", "ticktext", "texttemplate", "title", "legendgrouptitle",
                              "alt"})  # fmt: skip
_ENUM = re.compile(r"[A-Z][A-Z_]*")  # a proto's enum value (FLOAT, UP, NONE), not text
_WORD = re.compile(r"[A-Za-z]{2,}")


def strip_marked(text: str) -> str:
    """``text`` without its ``⟪…⟫`` spans (nested ones too) and without what is not prose:
    HTML tags, Plotly's ``%{…}`` fields, code spans (values quoted from a link) and LaTeX."""
    pattern = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while True:
        stripped = pattern.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"%\{[^}]*\}", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.S)
    text = re.sub(r"&[a-z]+;|:material/[a-z_]+:|https?://\S+", " ", text)
    return text


def leaked_words(text: str) -> list[str]:
    """The words of ``text`` outside the catalogue's marks."""
    return [w for w in _WORD.findall(strip_marked(text)) if w not in SAME_IN_EVERY_LANGUAGE]


def _strings(node: Any, skip: frozenset[str] = SKIP_FIELDS) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, skip)


def _figure_strings(node: Any) -> Iterator[str]:
    """The texts of a Plotly figure (dict): values of ``FIGURE_TEXT_KEYS`` — a string, a list
    of strings, or a title-like dict's ``text`` — anywhere in its data, layout and frames."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in FIGURE_TEXT_KEYS:
                if isinstance(value, str):
                    yield value
                elif isinstance(value, list):
                    yield from (v for v in value if isinstance(v, str))
                    yield from _figure_strings([v for v in value if not isinstance(v, str)])
                elif isinstance(value, dict):
                    if isinstance(value.get("text"), str):
                        yield value["text"]
                    yield from _figure_strings({k: v for k, v in value.items() if k != "text"})
            else:
                yield from _figure_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _figure_strings(value)


def _elements(node: Any) -> Iterator[Any]:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _elements(child)
    else:
        yield node


def shown_texts(at: Any) -> Iterator[tuple[str, str]]:
    """(element type, text) for every text the run shows, charts' texts included."""
    for root in (at.main, at.sidebar):
        for element in _elements(root):
            proto = getattr(element, "proto", None)
            if proto is None:
                continue
            kind = type(element).__name__
            if proto.DESCRIPTOR.name == "Html":  # styles and scripts, no prose
                continue
            if kind == "PlotlyChart" or proto.DESCRIPTOR.name == "PlotlyChart":
                figure = json.loads(proto.spec)
                for text in _figure_strings(figure):
                    yield "chart", text
                continue
            fields = MessageToDict(proto)
            for text in _strings(fields):
                if not _ENUM.fullmatch(text):
                    yield kind, text
            if kind in ("Dataframe", "Table"):  # headers and cells a learner reads
                frame = element.value
                yield from ((f"{kind} column", str(c)) for c in frame.columns)
                yield from ((f"{kind} index", str(i)) for i in frame.index)
                for column in frame.columns:
                    cells = frame[column]
                    if cells.dtype == object:
                        yield from ((f"{kind} cell", str(v)) for v in cells)
            for option in getattr(element, "options", None) or []:
                yield f"{kind} option", str(option)
    # The expanders', tabs' and forms' own labels live on their blocks.
    for root in (at.main, at.sidebar):
        yield from _block_labels(root)


def _block_labels(node: Any) -> Iterator[tuple[str, str]]:
    proto = getattr(node, "proto", None)
    if proto is not None and proto.DESCRIPTOR.name == "Block":
        for field in ("expandable", "tab_container", "popover"):
            if proto.HasField(field):
                sub = getattr(proto, field)
                label = getattr(sub, "label", "")
                if label:
                    yield field, label
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _block_labels(child)


def leaks(at: Any) -> list[tuple[str, str, list[str]]]:
    """(element type, text, words) for every shown text with words outside the marks."""
    found = []
    for kind, text in shown_texts(at):
        words = leaked_words(text)
        if words:
            found.append((kind, text[:160], words))
    return found


def run_pseudo(page: str | None, query: dict[str, Any] | None = None) -> Any:
    """The page opened from ``query`` in the pseudo language (the variable is left set)."""
    from tests.apptest import open_link

    os.environ[FORCE_ENV] = PSEUDO
    return open_link(page, query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="home, or a lesson's path (rolling_ball, race, …)")
    parser.add_argument("--presets", action="store_true", help="every preset too")
    args = parser.parse_args()
    page = None if args.page == "home" else args.page
    queries: list[tuple[str, dict[str, Any] | None]] = [("default", None)]
    if args.presets and page is not None:
        from tests.lessons import LESSONS

        lesson = LESSONS[page]
        queries += [(name, lesson.encode(lesson.preset_values(name))) for name in lesson.presets]
    total = 0
    for name, query in queries:
        at = run_pseudo(page, query)
        if at.exception:
            print(f"[{name}] EXCEPTION: {at.exception}")
        found = leaks(at)
        total += len(found)
        for kind, text, words in found:
            print(f"[{name}] {kind}: {text!r}  → {words}")
    print(f"{total} leaks")


if __name__ == "__main__":
    main()
