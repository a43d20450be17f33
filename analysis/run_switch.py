"""Which of a view's filters still mean something after switching to another run.

A filter is only worth keeping if it selects the same thing in the new run;
otherwise the page would say "showing 304 of 9,877 papers" for a range
the user cannot see, or a URL shared from it would show something else.
Each change is said in one line, so the switch is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Carried:
    """The filters as they apply to the new run, and one line per filter that changed."""

    themes: list[str]
    topics: list[int]
    dates: tuple[date, date] | None
    notes: list[str]


def carry_dates(picked: tuple | None, bounds: tuple[date, date] | None) -> tuple[tuple[date, date] | None, str | None]:
    """A date range clipped to the new run's dates, or None (all dates), with a note when it changed.

    ``picked`` None means the old view had no date filter; a range that
    does not overlap the new run at all is dropped rather than emptied.
    """
    if not picked:
        return None, None
    lo, hi = picked[0], picked[-1]
    if bounds is None:
        return None, f"Date filter {lo:%Y-%m-%d} to {hi:%Y-%m-%d} dropped: no paper of this run has a date."
    first, last = bounds
    if hi < first or lo > last:
        return None, (f"Date filter {lo:%Y-%m-%d} to {hi:%Y-%m-%d} dropped: this run's papers are from "
                      f"{first:%Y-%m-%d} to {last:%Y-%m-%d}.")
    clipped = (max(lo, first), min(hi, last))
    if clipped == (first, last):
        return None, None if (lo, hi) == clipped else (
            f"Date filter {lo:%Y-%m-%d} to {hi:%Y-%m-%d} covers all of this run's dates: showing all.")
    if clipped != (lo, hi):
        return clipped, (f"Date filter clipped to this run's dates: {clipped[0]:%Y-%m-%d} to "
                         f"{clipped[1]:%Y-%m-%d}.")
    return clipped, None


def carry_filters(themes: list[str], topics: dict[int, str], dates: tuple | None, *, theme_names: list[str],
                  topic_labels: dict[int, str], bounds: tuple[date, date] | None) -> Carried:
    """The old view's themes, topics (id -> label) and date range, as they apply to the new run.

    Topic ids are per run: an id is kept only when the new run has a topic
    of that id with the same label (a copy, or a rebuild ``--like`` the old
    run), since topic 3 of another run is a different topic.
    """
    notes = []
    kept_themes = [t for t in themes if t in theme_names]
    if dropped := [t for t in themes if t not in theme_names]:
        notes.append(f"Theme filter {', '.join(dropped)} dropped: this run has no such theme.")
    kept_topics = [t for t, label in topics.items() if topic_labels.get(t) == label]
    if dropped_topics := [t for t in topics if t not in kept_topics]:
        notes.append(f"Topic filter {', '.join(map(str, dropped_topics))} dropped: topics are numbered per run, "
                     "and this run has no such topic.")
    kept_dates, note = carry_dates(dates, bounds)
    if note:
        notes.append(note)
    return Carried(themes=kept_themes, topics=kept_topics, dates=kept_dates, notes=notes)
