"""Curating a run from the dashboard (AppTest): split with a preview, rename, a stale view refused."""

from __future__ import annotations

import pytest
from app_support import no_exceptions, page_path

from analysis.run import load_run


@pytest.fixture
def curate_run(writable_run):
    return writable_run


def texts(elements) -> str:
    return " ".join(str(e.value).replace("\\", "") for e in elements)


def table(at, column: str):
    """The one table on the page with that column (AppTest gives no key to a table without selection)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def largest_topic(run) -> int:
    sizes = run.papers.loc[run.papers["topic_id"] >= 0, "topic_id"].value_counts()
    return int(sizes.index[0])


def test_split_with_a_preview_then_apply(open_app, curate_run):
    before = load_run(curate_run)
    tid = largest_topic(before)
    members = set(before.papers.loc[before.papers["topic_id"] == tid, "paper_id"])
    at = open_app("pages/topics.py")
    at.selectbox(key="topic_pick").set_value(tid).run()
    at.number_input(key=f"curate_into_{tid}").set_value(2).run()
    at.button(key="curate_preview").click().run(timeout=300)
    no_exceptions(at)
    preview = table(at, "examples")
    assert len(preview) == 2 and preview["papers"].sum() == len(members)
    assert "topic 0 would become 2 topics".replace("0", str(tid)) in texts(at.markdown).replace("*", "")
    # A preview writes nothing.
    assert not (curate_run / "edits.jsonl").exists() or not (curate_run / "edits.jsonl").read_text().strip()
    assert load_run(curate_run).topics.equals(before.topics)

    at.button(key="curate_split").click().run(timeout=300)
    no_exceptions(at)
    assert "Split topic" in texts(at.success), texts(at.success)
    after = load_run(curate_run)
    ids_after = set(after.topics["topic_id"].astype(int))
    assert tid not in set(after.papers["topic_id"].astype(int))
    new = set(after.papers.loc[after.papers["paper_id"].isin(members), "topic_id"].astype(int))
    assert len(new) == 2 and new <= ids_after and not new & set(before.topics["topic_id"].astype(int))
    # The edit log on the page shows it, and undo brings the topic back.
    log = table(at, "what")
    assert log["edit"].tolist()[-1] == "split"
    at.button(key="curate_undo").click().run(timeout=300)
    no_exceptions(at)
    undone = load_run(curate_run)
    assert set(undone.papers.loc[undone.papers["paper_id"].isin(members), "topic_id"]) == {tid}


def test_rename_is_marked_as_the_users_and_a_stale_view_is_refused(open_app, curate_run):
    run = load_run(curate_run)
    tid = largest_topic(run)
    mine, theirs = open_app("pages/topics.py"), open_app("pages/topics.py")  # two people, the same run
    for at in (mine, theirs):
        at.selectbox(key="topic_pick").set_value(tid).run()
    mine.text_input(key=f"curate_label_{tid}").input("Diffusion language models").run()
    mine.button(key="curate_rename").click().run()
    no_exceptions(mine)
    topics = load_run(curate_run).topics.set_index("topic_id")
    assert topics.loc[tid, "topic_label"] == "Diffusion language models"
    assert topics.loc[tid, "label_source"] == "user"
    table = next(df.value for df in mine.dataframe if df.key == "topic_table")
    assert (table["topic_label"] == "Diffusion language models ✎").sum() == 1

    # The other person still sees the old run: their rename is refused, with the core's one-line reason.
    theirs.text_input(key=f"curate_label_{tid}").input("Something else")
    theirs.button(key="curate_rename").click().run()
    assert theirs.error and "\n" not in texts(theirs.error).strip()
    assert load_run(curate_run).topics.set_index("topic_id").loc[tid, "topic_label"] == "Diffusion language models"
    # ... and on that same interaction they now see the newer edit.
    table = next(df.value for df in theirs.dataframe if df.key == "topic_table")
    assert (table["topic_label"] == "Diffusion language models ✎").sum() == 1
    theirs.switch_page(page_path("pages/map.py")).run()
    no_exceptions(theirs)
