"""A lesson's parameters, declared once: key, type, range, default, label.

The declaration drives everything a parameter touches — the widget (``ui.widgets.draw``), the
link (``ui.url``: every value is written into the URL, default or not, so a link always reopens
the same run), the notices about a bad link, and the presets (which are overrides of the
declared defaults, so applying one sets *every* control). This module holds no Streamlit: it
parses and encodes values and can be tested on its own. Labels and help are declared marked
for the catalogue (``i18n.N_``) and translated where they are drawn; a refused value raises
``i18n.Problem``, whose reason a notice shows in the learner's language.

Parsing is strict and never evaluates anything: numbers must be plain ASCII decimals
(``0.05``, ``-1.2e-3``; no ``inf``, ``nan``, ``1_0``, non-ASCII digits or 5,000-digit
strings), whole numbers plain ASCII integers (``2.0`` and ``1e3`` are refused), and each value
must lie in its declared range.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from i18n import N_, Problem, _

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
MAX_RAW = 40  # characters: no parameter needs more; longer text is refused before parsing
_INT = re.compile(r"[+-]?[0-9]{1,12}", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
KINDS = ("float", "int", "bool", "choice", "text")
WIDGETS = ("number", "slider", "log_slider", "toggle", "checkbox", "select", "segmented", "none")


def number_text(value: float) -> str:
    """A number as a person reads it in a notice: ``0.001``, ``600``, ``1e-07``."""
    return f"{value:.6g}"


@dataclass(frozen=True)
class Param:
    """One parameter of a lesson: a widget of the same key and a URL parameter of that name.

    Attributes:
        key: the widget key and the URL name.
        kind: "float", "int", "bool" or "choice".
        default: the value used when a link does not give one (and what a notice quotes).
        low, high: inclusive range of a number (the widget's and the link's).
        choices: the values of a "choice" (what the URL stores).
        labels: how the widget shows each choice; a link may also use them. They are catalogue
            texts, translated where shown, unless ``translate_labels`` is False (names that
            read the same in every language, e.g. each language by its own name).
        label, help: the widget's label and help text.
        widget: which widget draws it (see ``WIDGETS``); by default a number input, a toggle or
            a select box according to ``kind``.
        step, format: a number widget's step and display format.
        max_length, validate: a "text" value (e.g. points a learner clicked onto a plane, in a
            compact code) may be up to ``max_length`` characters and must pass ``validate``,
            which returns its canonical spelling or raises ValueError saying why not. Text
            parameters have no widget of their own (``widget="none"``): the page sets them.
    """

    key: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    label: str = ""
    help: str | None = None
    widget: str = ""
    step: float | None = None
    format: str | None = None
    max_length: int = MAX_RAW
    translate_labels: bool = True
    validate: Callable[[str], str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: kind {self.kind!r} is not one of {KINDS}")
        if self.widget and self.widget not in WIDGETS:
            raise ValueError(f"{self.key}: widget {self.widget!r} is not one of {WIDGETS}")
        if self.labels and len(self.labels) != len(self.choices):
            raise ValueError(f"{self.key}: {len(self.labels)} labels for {len(self.choices)}")
        self.parse(self.encode(self.default))  # the default itself must be a valid value

    def parse(self, raw: str) -> Any:
        """The value that ``raw`` (text from a link) stands for, or ValueError saying why not."""
        text = raw.strip()
        limit = self.max_length if self.kind == "text" else MAX_RAW
        if self.labels:  # a link may spell a choice by its label (a menu's longer wording)
            limit = max(limit, *(len(label) for label in self.labels))
        if len(text) > limit:
            raise Problem(N_("longer than {limit} characters"), limit=limit)
        if self.kind == "text":
            return self.validate(text) if self.validate is not None else text
        if self.kind == "bool":
            if text.lower() in TRUE:
                return True
            if text.lower() in FALSE:
                return False
            raise Problem(N_("expected true or false"))
        if self.kind == "choice":
            return self._choice(text)
        if self.kind == "int":
            if not _INT.fullmatch(text):
                raise Problem(N_("expected a whole number written with the digits 0-9"))
            number: float = int(text)
        else:
            if not _FLOAT.fullmatch(text):
                raise Problem(N_("expected a number such as 0.05 or 1e-3"))
            number = float(text)
            if not math.isfinite(number):
                raise Problem(N_("expected a finite number"))
        self.check_range(number)
        return number

    def _choice(self, text: str) -> str:
        if text in self.choices:
            return text
        shown = self.labels or self.choices
        if text in shown:
            return self.choices[shown.index(text)]
        folded = [c.lower() for c in self.choices]
        if text.lower() in folded:
            return self.choices[folded.index(text.lower())]
        raise Problem(N_("expected one of {choices}"), choices=", ".join(self.choices))

    def check_range(self, number: float) -> None:
        """ValueError if ``number`` lies outside [low, high]."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        if not low <= number <= high:
            raise Problem(N_("expected a value from {low} to {high}"), low=number_text(low),
                          high=number_text(high))  # fmt: skip

    def encode(self, value: Any) -> str:
        """The canonical URL text of ``value`` (``parse(encode(v)) == v`` exactly)."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "int":
            return str(int(value))
        if self.kind == "float":
            return repr(float(value))
        return str(value)

    def coerce(self, value: Any) -> Any:
        """``value`` in the type the widget holds (a preset's ``1`` for a float is ``1.0``)."""
        return self.parse(self.encode(value))

    def shown(self, value: Any) -> str:
        """``value`` as the widget shows it (for notices)."""
        if self.kind == "text":
            return str(value) or _("(none)")
        if self.kind == "choice" and self.labels and value in self.choices:
            label = self.labels[self.choices.index(value)]
            return _(label) if self.translate_labels else label
        if self.kind == "float":
            return number_text(float(value))
        return self.encode(value)

    def format_choice(self, value: str) -> str:
        """A select box's ``format_func``: the label of a choice."""
        return self.labels[self.choices.index(value)] if self.labels else value


Values = dict[str, Any]
Constrain = Callable[[Values], list[str]]


@dataclass(frozen=True)
class Lesson:
    """A page's parameters and presets.

    Attributes:
        name: the page's URL path (also the key under which its values are kept).
        params: every parameter, in the order the link lists them.
        presets: name → overrides of the defaults; applying one sets every parameter (the ones
            it does not name return to their defaults), so a preset is one exact run.
        default_preset: the preset that equals the defaults (shown first in the menu).
        constrain: adjusts values that are valid alone but not together (a batch larger than
            N, an inspected step beyond the run) in place, and returns a notice for each.
        keep_unlinked: on a page's first run, a value the link does not give keeps its value
            from this session (the shared settings across pages) instead of the default.
    """

    name: str
    params: tuple[Param, ...]
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_preset: str = ""
    constrain: Constrain | None = None
    keep_unlinked: bool = False

    def __post_init__(self) -> None:
        keys = [p.key for p in self.params]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.name}: a parameter is declared twice")
        for name, overrides in self.presets.items():
            for key, value in overrides.items():
                param = self.param(key)  # KeyError names an undeclared key
                if param.parse(param.encode(value)) != value:
                    raise ValueError(f"preset {name!r}: {key}={value!r} is not a valid value")

    def param(self, key: str) -> Param:
        for p in self.params:
            if p.key == key:
                return p
        raise KeyError(f"{self.name} has no parameter {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.params)

    def defaults(self) -> Values:
        return {p.key: p.coerce(p.default) for p in self.params}

    def preset_values(self, name: str) -> Values:
        """Every parameter's value under preset ``name``."""
        overrides = {k: self.param(k).coerce(v) for k, v in self.presets[name].items()}
        return self.defaults() | overrides

    def encode(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The link's query of ``values``: every parameter, default or not."""
        return {p.key: p.encode(values[p.key]) for p in self.params}


def combined(*lessons: Lesson) -> Sequence[Param]:
    """The parameters of several lessons, in order."""
    return [p for lesson in lessons for p in lesson.params]
