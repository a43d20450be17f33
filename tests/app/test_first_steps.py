"""The first-steps hint (pages/_first_steps.py): on first open it says what is shown and what to do; acting hides it."""

from __future__ import annotations

from app_support import no_exceptions, page_path

from analysis.run import load_run
from pages._first_steps import first_start_note

THEME = "Multi-task learning"


def hints(at) -> list[str]:
    return [i.value for i in at.info if "Hover a dot" in i.value]


def test_the_hint_shows_on_first_open_and_is_gone_once_the_user_filters(open_app, seed_run):
    at = open_app()
    no_exceptions(at)
    [hint] = hints(at)
    run = load_run(seed_run)
    assert f"{len(run.papers):,} papers in {run.meta['counts']['topics']} topics" in hint
    assert "**Data** page" in hint and "box or lasso" in hint and "filters" in hint
    at.run()  # a rerun the user did not cause (a build finishing, say) keeps it
    assert len(hints(at)) == 1

    at.multiselect(key="theme").set_value([THEME]).run()
    no_exceptions(at)
    assert hints(at) == []
    at.multiselect(key="theme").set_value([]).run()  # undoing the filter does not bring it back
    assert hints(at) == []


def test_the_hint_is_gone_after_another_page_a_map_control_or_its_close_button(open_app):
    at = open_app()
    assert hints(at)
    at.switch_page(page_path("pages/trends.py")).run()
    assert hints(at) == []

    at = open_app()
    at.toggle(key="map_labels").set_value(False).run()
    assert hints(at) == []

    at = open_app()
    at.button(key="first_steps_close").click().run()
    no_exceptions(at)
    assert hints(at) == []
    at.switch_page(page_path("pages/topics.py")).run()
    assert hints(at) == []


def test_the_first_start_note_names_the_runs_folder_only_in_local_mode(tmp_path):
    out = tmp_path / "runs" / "demo"
    assert str(out) in first_start_note(out, shared=False)
    shared = first_start_note(out, shared=True)
    assert str(tmp_path) not in shared and "demo`" not in shared
    assert "9,877" in shared and "once" in shared
