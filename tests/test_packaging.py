"""The project installs as a package: one console script, the same as ``python -m analysis``, and no sys.path hacks."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Scripts run as files (not imported), so each must find ``analysis`` through the installed package.
SCRIPTS = ["bench/bench_build.py", "bench/bench_embed.py", "bench/bench_quality.py", "bench/bench_scale.py",
           "scripts/make_demo_data.py"]


def _installed() -> metadata.Distribution | None:
    try:
        return metadata.distribution(PYPROJECT["project"]["name"])
    except metadata.PackageNotFoundError:
        return None


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_package_is_the_pipeline_only_and_reads_the_pinned_requirements():
    assert PYPROJECT["tool"]["setuptools"]["packages"] == ["analysis"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_the_declared_console_script_gives_the_same_help_as_python_m_analysis():
    target = PYPROJECT["project"]["scripts"]["paper-topics"]
    assert target == "analysis.cli:main"
    # Load it the way an installed console script does, from its "module:function" entry point.
    code = ("import sys; from importlib.metadata import EntryPoint; sys.argv = ['paper-topics', '--help']; "
            f"sys.exit(EntryPoint('paper-topics', {target!r}, 'console_scripts').load()())")
    script = _run([sys.executable, "-c", code], ROOT)
    module = _run([sys.executable, "-m", "analysis", "--help"], ROOT)
    assert script.returncode == module.returncode == 0, script.stderr + module.stderr
    assert script.stdout == module.stdout and "build" in module.stdout


@pytest.mark.skipif(_installed() is None, reason="project not installed (make run / make test install it)")
def test_the_installed_command_works_outside_the_checkout(tmp_path):
    dist = _installed()
    assert {(ep.name, ep.value) for ep in dist.entry_points if ep.group == "console_scripts"} == {
        ("paper-topics", "analysis.cli:main")}
    command = Path(sys.executable).with_name("paper-topics")
    script = _run([str(command), "--help"], tmp_path)
    module = _run([sys.executable, "-m", "analysis", "--help"], tmp_path)
    assert script.returncode == module.returncode == 0, script.stderr + module.stderr
    assert script.stdout == module.stdout
    # An editable install of another checkout would test that checkout's code instead of this one.
    where = _run([sys.executable, "-c", "import analysis; print(analysis.__file__)"], tmp_path)
    assert Path(where.stdout.strip()) == ROOT / "analysis" / "__init__.py"


@pytest.mark.skipif(_installed() is None, reason="project not installed (make run / make test install it)")
@pytest.mark.parametrize("path", SCRIPTS)
def test_scripts_find_the_package_from_anywhere(path, tmp_path):
    out = _run([sys.executable, str(ROOT / path), "--help"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage:")


@pytest.mark.parametrize("path", SCRIPTS)
def test_scripts_do_not_edit_sys_path(path):
    assert "sys.path" not in (ROOT / path).read_text()
