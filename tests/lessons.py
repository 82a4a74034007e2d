"""Every lesson's declaration by its URL path: the one list the page-wide tests share."""

from __future__ import annotations

from ui.backprop.params import LESSON as BACKPROP
from ui.params import Lesson
from ui.race.params import LESSON as RACE
from ui.rolling_ball.params import LESSON as BALL
from ui.shell import LESSON_PAGES
from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN
from ui.training.params import LESSON as TRAINING
from ui.uncrumpling.params import LESSON as UNCRUMPLING

LESSONS: dict[str, Lesson] = {
    lesson.name: lesson for lesson in (RACE, BALL, SUM_OR_MEAN, TRAINING, UNCRUMPLING, BACKPROP)
}
assert set(LESSONS) == {path for path, _, _ in LESSON_PAGES}, "a lesson is missing here"
