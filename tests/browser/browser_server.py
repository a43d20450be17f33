"""Start the dashboard as a real server on a free localhost port, and always stop it.

Used by the browser tests and by the benches that drive a browser (bench/load_test.py,
bench/bench_dashboard.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(run_dir: Path | None, *, env: dict[str, str] | None = None, timeout: float = 60.0):
    """Yield the base URL of ``streamlit run dashboard.py -- --run RUN_DIR``; kill its process group after.

    ``run_dir=None`` starts it as ``make run`` does, on the demo run (built first if the runs folder lacks it).

    The server's output goes to ``test-artifacts/streamlit-PORT.log``.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           *([] if run_dir is None else ["--", "--run", str(run_dir)])]
    full_env = {**os.environ, **(env or {})}
    log = (ROOT / "test-artifacts")
    log.mkdir(exist_ok=True)
    out = open(log / f"streamlit-{port}.log", "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {out.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        out.close()
