"""Shared mode's rules: the config, who may change a run, opening by name only, quotas and cleaning up."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from analysis import access, workspace
from analysis.build_queue import BuildQueue
from analysis.cli import main
from analysis.config import ShareConfig
from analysis.errors import InputError
from analysis.rundir import RUN_FILE

SHARED = ShareConfig(mode="shared")


@pytest.fixture
def runs(seed_run, tmp_path):
    """A runs folder holding the operator's 'demo' (a copy of the seed run)."""
    root = tmp_path / "runs"
    shutil.copytree(seed_run, root / "demo")
    return root


def test_config_from_env_and_from_a_file(tmp_path):
    assert ShareConfig.from_env({}).shared is False
    cfg = ShareConfig.from_env({"PAPERTOPICS_MODE": "Shared", "PAPERTOPICS_MAX_BUILDS": "2"})
    assert cfg.shared and cfg.max_builds == 2 and cfg.runs_per_visitor == ShareConfig.runs_per_visitor
    file = tmp_path / "team.toml"
    file.write_text('[papertopics]\nmode = "shared"\nruns_per_visitor = 5\nupload_mb = 3\n')
    cfg = ShareConfig.from_env({"PAPERTOPICS_CONFIG": str(file), "PAPERTOPICS_UPLOAD_MB": "7"})
    assert (cfg.mode, cfg.runs_per_visitor, cfg.upload_mb) == ("shared", 5, 7)  # the environment wins
    for bad in ({"PAPERTOPICS_MODE": "public"}, {"PAPERTOPICS_MAX_BUILDS": "0"},
                {"PAPERTOPICS_CONFIG": str(tmp_path / "missing.toml")}):
        with pytest.raises(InputError):
            ShareConfig.from_env(bad)
    file.write_text("[papertopics]\nmax_build = 2\n")  # a typo is an error, not ignored
    with pytest.raises(InputError, match="unknown sharing setting"):
        ShareConfig.from_env({"PAPERTOPICS_CONFIG": str(file)})


def test_visitors_change_only_their_own_runs(runs):
    demo = runs / "demo"
    alice, bob = access.Visitor("alice-session"), access.Visitor("bob-session")
    assert access.can_write(demo, alice, ShareConfig())  # local mode: every right, as before
    assert not access.can_write(demo, alice, SHARED)  # no owner record: the operator's
    assert access.can_write(demo, access.Visitor("x", editor=True), SHARED)
    with pytest.raises(InputError, match="not yours"):
        access.refuse_unless_writable(demo, alice, SHARED)

    name = access.namespaced("demo", alice, SHARED)
    assert name == f"{alice.tag}-demo" and access.namespaced(name, alice, SHARED) == name
    assert access.namespaced(name, bob, SHARED) == f"{bob.tag}-{alice.tag}-demo"  # never into alice's namespace
    assert access.namespaced("demo", alice, ShareConfig()) == "demo"
    mine = runs / name
    shutil.copytree(demo, mine)
    access.claim(mine, alice)
    assert access.can_write(mine, alice, SHARED) and not access.can_write(mine, bob, SHARED)
    assert "alice" not in (runs / access.OWNERS_DIR / f"{name}.json").read_text()  # a hash, not the id
    with pytest.raises(InputError, match="not yours"):
        access.delete_run(mine, bob, SHARED)
    with pytest.raises(InputError, match="not yours"):
        access.delete_run(demo, alice, SHARED)
    access.claim(mine, access.Visitor("op", editor=True))  # an editor's rebuild makes it the operator's
    assert not access.can_write(mine, alice, SHARED)
    access.claim(mine, alice)
    access.delete_run(mine, alice, SHARED)
    assert not mine.exists() and demo.is_dir() and access.owner(mine) is None
    assert sorted(p.name for p in runs.iterdir() if not p.name.endswith(".lock")) == [access.OWNERS_DIR, "demo"]


@pytest.mark.parametrize("probe", ["../x", "/etc", "/etc/shadow", "~", "~/.ssh", "/proc/self/cwd/runs/demo",
                                   "..", ".owners", "demo/../demo", "nope", ""])
def test_opening_by_name_refuses_paths_with_one_message(runs, probe):
    with pytest.raises(InputError) as err:
        workspace.open_by_name(probe, runs)
    assert str(err.value) == f"no run named '{probe}' in the runs folder"  # never 'is a file' or 'no such folder'
    assert workspace.open_by_name("demo", runs) == (runs / "demo").resolve()


def test_quotas_say_what_was_reached(runs):
    alice = access.Visitor("alice")
    cfg = ShareConfig(mode="shared", runs_per_visitor=1, upload_mb=1, upload_count=2)
    access.check_build_quota(runs, runs / "x", alice, cfg)
    first = runs / access.namespaced("one", alice, cfg)
    shutil.copytree(runs / "demo", first)
    access.claim(first, alice)
    with pytest.raises(InputError, match=r"you have 1 runs, the most a visitor may keep \(1\)"):
        access.check_build_quota(runs, runs / access.namespaced("two", alice, cfg), alice, cfg)
    access.check_build_quota(runs, first, alice, cfg)  # rebuilding one's own run is not a new run
    access.check_build_quota(runs, runs / "x", access.Visitor("bob"), cfg)
    tight = ShareConfig(mode="shared", visitor_disk_mb=1)
    carol = access.Visitor("carol")  # more visitor runs until they take more than the operator's 1 MB
    while sum(access.folder_bytes(p) for p in runs.iterdir() if p.name.startswith("v")) <= 1_000_000:
        extra = runs / access.namespaced(f"copy{len(list(runs.iterdir()))}", carol, cfg)
        shutil.copytree(runs / "demo", extra)
        access.claim(extra, carol)
    with pytest.raises(InputError, match=r"visitors' runs use .* MB, the space the operator allows \(1 MB\)"):
        access.check_build_quota(runs, runs / "x", access.Visitor("bob"), tight)
    access.check_build_quota(runs, runs / "x", access.Visitor("op", editor=True), tight)
    with pytest.raises(InputError, match="at most 2 per build"):
        access.check_uploads([("a.txt", b"x")] * 3, cfg)
    with pytest.raises(InputError, match="at most 1 MB per file"):
        access.check_uploads([("big.csv", b"x" * 1_000_001)], cfg)
    access.check_uploads([("big.csv", b"x" * 1_000_001)] * 9, ShareConfig())  # local mode: no quota


def test_cleanup_command_deletes_old_visitor_runs_only(runs, capsys):
    alice = access.Visitor("alice")
    old, fresh = runs / f"{alice.tag}-old", runs / f"{alice.tag}-fresh"
    for run in (old, fresh):
        shutil.copytree(runs / "demo", run)
        access.claim(run, alice)
    month_ago = time.time() - 30 * 86_400
    for run in (old, runs / "demo"):  # the operator's demo is old too, and stays
        os.utime(run / RUN_FILE, (month_ago, month_ago))

    assert main(["cleanup", str(runs), "--older-than", "7", "--dry-run"]) == 0
    assert capsys.readouterr().out.split() == ["would", "delete", old.name] and old.is_dir()
    assert main(["cleanup", str(runs), "--older-than", "7"]) == 0
    assert capsys.readouterr().out.strip() == f"deleted {old.name}"
    assert not old.exists() and fresh.is_dir() and (runs / "demo").is_dir()
    assert not (runs / access.OWNERS_DIR / f"{old.name}.json").exists()
    assert not [p for p in runs.iterdir() if ".deleting-" in p.name]
    assert main(["cleanup", str(runs / "nope"), "--older-than", "1"]) == 2


def test_redact_paths_hides_server_folders(runs, monkeypatch):
    monkeypatch.setenv("PAPERTOPICS_RUNS", str(runs))
    from analysis.config import PROJECT_ROOT

    text = f"{runs}/demo is {PROJECT_ROOT}/data/x.txt under {os.path.expanduser('~')}"
    shown = access.redact_paths(text)
    assert str(runs) not in shown and str(PROJECT_ROOT) not in shown and os.path.expanduser("~") not in shown
    assert shown.startswith("…/demo is …/data/x.txt")


def test_queue_runs_at_most_n_and_never_equal_keys_together():
    queue = BuildQueue(limit=2)
    gate, log, lock = threading.Event(), [], threading.Lock()
    running, peak, places = [0], [0], {}

    def job(name, key):
        def on_wait(place, n_running):
            places.setdefault(name, place)
        with queue.slot(key, on_wait=on_wait, poll=0.02):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                log.append((name, "start"))
            gate.wait(30)
            with lock:
                running[0] -= 1
                log.append((name, "end"))

    threads = []
    for name, key in [("a", "same"), ("b", "same"), ("c", "other"), ("d", "other2")]:
        threads.append(threading.Thread(target=job, args=(name, key)))
        threads[-1].start()
        deadline = time.monotonic() + 10
        while sum(queue.counts) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.01)
    deadline = time.monotonic() + 10
    while queue.counts != (2, 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    # 'b' waits although a slot was free when it came ('a' holds its key); 'c' passes it; 'd' waits for a slot.
    assert queue.counts == (2, 2) and {n for n, e in log if e == "start"} == {"a", "c"}
    assert places["b"] == 1 and places["d"] == 2
    gate.set()
    for t in threads:
        t.join(30)
    assert peak[0] == 2 and queue.counts == (0, 0)
    assert log.index(("a", "end")) < log.index(("b", "start"))
