"""Shared mode in the app (AppTest): visitors cannot replace or curate runs they did not make, see no server paths,
and open runs only by name; editors sign in with the operator's token. Plus local mode's rebuild in place."""

from __future__ import annotations

import json
import shutil
import site
import sys
from pathlib import Path

import pytest
from app_support import ROOT, no_exceptions

from analysis import access
from analysis.run import is_run, load_run


@pytest.fixture
def shared_env(app_env, seed_run, monkeypatch) -> Path:
    """A shared server: the runs folder holds the operator's 'demo' (a copy of the seed run), opened by default."""
    shutil.copytree(seed_run, app_env / "demo")
    monkeypatch.setenv("PAPERTOPICS_MODE", "shared")
    monkeypatch.delenv("PAPERTOPICS_RUN", raising=False)
    return app_env


def success_text(at) -> str:
    return " ".join(s.value.replace("\\", "") for s in at.success)


def build_seed_as(at, name: str, replace: bool = True, timeout: float = 300):
    at.radio(key="src").set_value("seed").run()
    at.text_input(key="run_name").input(name).run()
    if replace:
        at.checkbox(key="replace").check().run()
    at.button(key="build").click().run(timeout=timeout)
    return at


def page_strings(at) -> list[str]:
    """Every piece of text the page's elements carry, values and labels (tables as CSV)."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code", "info", "warning", "error",
                 "success", "metric", "json"):
        out += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "text_area", "checkbox", "number_input"):
        for w in getattr(at, kind):
            out.append(str(getattr(w, "label", "")))
            out += [str(o) for o in getattr(w, "options", [])]
            out.append(str(getattr(w, "help", "") or ""))
    out += [df.value.to_csv() for df in at.dataframe]
    out += [str(e.label) for e in at.expander]
    return out


def server_paths(runs: Path) -> list[str]:
    return [str(runs.resolve()), str(ROOT), str(Path.home()), sys.prefix, *site.getsitepackages()]


def test_a_visitor_cannot_replace_demo_from_another_session(open_app, shared_env):
    demo = shared_env / "demo"
    before = (demo / "run.json").read_bytes()
    at = open_app("pages/data.py")
    no_exceptions(at)
    assert "demo" in at.subheader[0].value
    # Nothing on the page offers to change the operator's run.
    assert not [b for b in at.button if b.key in ("add", "refit")]
    assert not [b for b in at.button if str(b.key).endswith("_apply")]
    # The steps: name the new run 'demo', tick 'Replace a run of that name', build.
    build_seed_as(at, "demo")
    no_exceptions(at)
    assert (demo / "run.json").read_bytes() == before  # the demo is untouched
    built = [p for p in shared_env.iterdir() if is_run(p) and p.name != "demo"]
    assert len(built) == 1 and built[0].name.endswith("-demo") and built[0].name.startswith("v")
    assert f"Built and opened run {built[0].name}" in success_text(at)

    # The next visitor opens the real demo, and cannot reach the first visitor's run either.
    other = open_app("pages/data.py")
    assert "demo" in other.subheader[0].value and len(load_run(demo).papers) == len(load_run(built[0]).papers)
    first = (built[0] / "run.json").read_bytes()
    build_seed_as(other, built[0].name)
    no_exceptions(other)
    assert (built[0] / "run.json").read_bytes() == first
    assert {p.name for p in shared_env.iterdir() if is_run(p)} == {"demo", built[0].name,
                                                                  f"{other_tag(shared_env, built[0])}-{built[0].name}"}
    # Only its maker may delete a run: the first visitor deletes theirs (the demo offers no delete to anyone).
    assert not [b for b in open_app("pages/data.py").button if b.key == "delete_run"]
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_run").click().run()
    no_exceptions(at)
    assert not built[0].exists() and (demo / "run.json").read_bytes() == before
    assert f"Deleted run {built[0].name}" in success_text(at) and "demo" in at.subheader[0].value


def other_tag(runs: Path, mine: Path) -> str:
    """The tag of the visitor who is not the owner of ``mine``: the other run's prefix."""
    names = [p.name for p in runs.iterdir() if is_run(p) and p.name not in ("demo", mine.name)]
    assert len(names) == 1, names
    return names[0].split("-", 1)[0]


def test_shared_data_page_has_no_path_field_and_shows_no_server_path(open_app, shared_env):
    at = open_app("pages/data.py")
    no_exceptions(at)
    assert not [t for t in at.text_input if t.key == "open_path"]  # 'open a run folder anywhere' is gone
    picks = at.selectbox(key="open_pick").options  # the runs folder's runs, by name
    assert len(picks) == 1 and picks[0].startswith("demo · 73 papers")
    assert "the bundled demo corpus" not in at.radio(key="src").options  # visitors do not rebuild the 9,877 papers
    # a table's own CSV download would write formulas as they are; visitors get CSVs from the Export page
    import streamlit as st

    assert st.get_option("client.disableDataExport") is True
    text = "\n".join(page_strings(at))
    assert "Folder:" not in text and "versions" not in text and "numpy" not in text
    for path in server_paths(shared_env):
        assert path not in text, path
    # ?run= with a path opens nothing outside the runs folder and shows no path.
    for probe in ("../x", "/etc", "~", "/proc/self/cwd", str(shared_env / "demo")):
        at = open_app("pages/data.py", query={"run": probe})
        assert not at.exception
        text = "\n".join(page_strings(at))
        assert "/etc" not in text.replace(f"'{probe}'", "") and str(shared_env) not in text


def test_a_visitor_cannot_curate_the_operators_run(open_app, shared_env):
    at = open_app("pages/topics.py", query={"topic": "0"})
    no_exceptions(at)
    at.text_input(key="curate_label_0").input("my name for it").run()
    at.button(key="curate_rename").click().run()
    assert any("not yours" in e.value for e in at.error), [e.value for e in at.error]
    assert not (shared_env / "demo" / "edits.jsonl").exists()
    assert "my name for it" not in load_run(shared_env / "demo").topics["topic_label"].tolist()


def test_an_editor_signs_in_with_the_token_and_may_replace_demo(open_app, shared_env, monkeypatch):
    monkeypatch.setenv("PAPERTOPICS_EDITOR_TOKEN", "s3cret-token")
    demo = shared_env / "demo"
    before = json.loads((demo / "run.json").read_text())["created"]
    at = open_app("pages/data.py")
    at.text_input(key="editor_token").input("wrong").run()
    at.button(key="editor_sign_in").click().run()
    assert any("not the editor token" in e.value for e in at.error)
    at.text_input(key="editor_token").input("s3cret-token").run()
    at.button(key="editor_sign_in").click().run()
    assert any("signed in as an editor" in c.value for c in at.caption)
    assert "the bundled demo corpus" in at.radio(key="src").options
    assert [b for b in at.button if b.key == "add"]  # an editor may grow the operator's run
    at.number_input(key="min_size").set_value(5).run()
    at.radio(key="src").set_value("seed").run()
    at.text_input(key="run_name").input("demo").run()
    at.checkbox(key="confirm_rebuild").check().run()  # the run being viewed: rebuilt in place
    at.button(key="build").click().run(timeout=300)
    no_exceptions(at)
    meta = load_run(demo).meta
    assert meta["created"] != before and meta["parameters"]["topics"]["min_topic_size"] == 5
    assert access.owner(demo) is None  # still the operator's
    assert "Rebuilt run demo in place" in success_text(at)


def test_local_mode_rebuilds_the_viewed_run_in_place_after_a_confirmation(open_app, app_env, seed_run, monkeypatch):
    mine = app_env / "mine"
    shutil.copytree(seed_run, mine)
    monkeypatch.setenv("PAPERTOPICS_RUN", str(mine))
    at = open_app("pages/data.py")
    assert at.text_input(key="open_path")  # local mode keeps 'open a run folder anywhere'
    import streamlit as st

    assert st.get_option("client.disableDataExport") is False  # and the tables' own download and copy
    at.radio(key="src").set_value("seed").run()
    at.number_input(key="min_size").set_value(5).run()
    at.text_input(key="run_name").input("mine").run()
    at.button(key="build").click().run()
    assert any("is the run you are viewing" in e.value for e in at.error), [e.value for e in at.error]
    assert load_run(mine).meta["parameters"]["topics"]["min_topic_size"] is None
    at.checkbox(key="confirm_rebuild").check().run()
    at.button(key="build").click().run(timeout=300)
    no_exceptions(at)
    assert "Rebuilt run mine in place" in success_text(at)
    assert load_run(mine).meta["parameters"]["topics"]["min_topic_size"] == 5
    assert "mine" in at.subheader[0].value
    assert sorted(p.name for p in app_env.iterdir() if not p.name.startswith(".")) == ["mine"]
