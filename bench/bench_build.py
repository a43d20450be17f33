"""Build speed and memory benchmark (not a test: prints tables for the README).

    python bench/bench_build.py [--sizes 500,2000,5000] [--compare 2000] [--skip-plain]

1. Seconds and peak RSS per stage for cold builds (empty embedding and
   reduction caches, shipped demo vectors disabled) at several corpus sizes
   sampled from the Daily Papers archive.
2. Side by side on the same papers: this project cold, this project warm with
   another topic size (in-process, as the dashboard does it, and as a new CLI
   process), and plain BERTopic with its defaults and the same bundled model,
   with each one's ratio to plain BERTopic.
Each build runs in its own process so peaks and imports are not shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import PeakRSS, record_results

from analysis.pipeline import STAGES

ROOT = Path(__file__).resolve().parent.parent
STAGE_NAMES = [s.name for s in STAGES if s.name != "assign"]  # a bench build fits every paper


def sample_corpus(n: int, out: Path) -> Path:
    import pandas as pd

    frame = pd.read_parquet(ROOT / "data" / "hf_daily_papers.parquet")
    frame.sample(n=min(n, len(frame)), random_state=0).to_parquet(out, index=False)
    return out


def child_build(args) -> None:
    """One build in this process; prints a JSON line with stage seconds and peaks."""
    from analysis.config import BuildConfig
    from analysis.run import build, save_run, with_overrides

    config = with_overrides(BuildConfig(), **json.loads(args.overrides))
    t0 = time.perf_counter()
    with PeakRSS() as peaks:
        res = build([args.input], config, cache_dir=args.cache, progress=peaks.progress)
        peaks.stage = "write"
        save_run(res, Path(args.cache) / "run")
        if args.warm_topic_size:
            t1 = time.perf_counter()
            rebuilt = build([args.input], with_overrides(config, min_topic_size=args.warm_topic_size),
                            cache_dir=args.cache)
            warm = time.perf_counter() - t1
            warm_seconds = rebuilt.meta["seconds"]
        else:
            warm, warm_seconds = None, None
    print(json.dumps({"total": time.perf_counter() - t0 - (warm or 0), "warm_in_process": warm,
                      "warm_seconds": warm_seconds,
                      "seconds": res.meta["seconds"], "peaks": peaks.peaks, "topics": res.meta["counts"]["topics"],
                      "papers": res.meta["counts"]["kept"]}))


def child_plain(args) -> None:
    import pandas as pd
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from analysis.embed import bundled_model_path

    t0 = time.perf_counter()
    frame = pd.read_parquet(args.input)
    docs = (frame["title"] + ". " + frame["abstract"]).tolist()
    with PeakRSS() as peaks:
        model = BERTopic(embedding_model=SentenceTransformer(str(bundled_model_path()), device="cpu"))
        topics, _ = model.fit_transform(docs)
    print(json.dumps({"total": time.perf_counter() - t0, "peaks": peaks.peaks,
                      "topics": len(set(topics) - {-1}), "papers": len(docs)}))


#: numba's compiled code persists between runs of the tool (that is a product feature, see
#: analysis.run.configure_runtime), so "cold" here means empty embedding and reduction caches
#: with the JIT cache as any earlier run leaves it. Plain BERTopic gets the same folder.
NUMBA_CACHE = Path(tempfile.gettempdir()) / "bench-numba-cache"
#: Likewise the int8 ONNX conversion of the model (analysis.onnx_embed): made once per machine, so
#: every cold build shares this folder; its one-time cost is timed and printed on its own.
MODEL_CACHE = Path(tempfile.gettempdir()) / "bench-model-cache"


def time_conversion() -> float:
    """Seconds for a fresh process to convert the bundled model into an empty folder, then kept in MODEL_CACHE."""
    import shutil

    shutil.rmtree(MODEL_CACHE, ignore_errors=True)
    code = ("from analysis.config import EmbedConfig; from analysis.embed import SentenceEmbedder; "
            f"SentenceEmbedder.from_config(EmbedConfig(), model_cache={str(MODEL_CACHE)!r}).prepare()")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
                   capture_output=True, check=True)
    return time.perf_counter() - t0


def spawn(mode: str, input_path: Path, cache: Path, overrides: dict | None = None, warm: int | None = None,
          shipped: bool = False) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NUMBA_CACHE_DIR": str(NUMBA_CACHE),
           "PAPERTOPICS_MODEL_CACHE": str(MODEL_CACHE)}
    if not shipped:
        env["PAPERTOPICS_NO_SHIPPED_EMBEDDINGS"] = "1"
    cmd = [sys.executable, __file__, "--child", mode, "--input", str(input_path), "--cache", str(cache),
           "--overrides", json.dumps(overrides or {})]
    if warm:
        cmd += ["--warm-topic-size", str(warm)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - t0
    return result


def cli_wall(input_path: Path, cache: Path, topic_size: int) -> float:
    env = {**os.environ, "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS": "1", "NUMBA_CACHE_DIR": str(NUMBA_CACHE),
           "PAPERTOPICS_MODEL_CACHE": str(MODEL_CACHE)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "build", str(input_path), "--out", str(cache / "cli-run"),
                    "--cache", str(cache), "--min-topic-size", str(topic_size), "--quiet"],
                   cwd=ROOT, env=env, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="500,2000,5000")
    p.add_argument("--compare", type=int, default=2000)
    p.add_argument("--skip-plain", action="store_true")
    p.add_argument("--warm-at", type=int, default=9877,
                   help="also time a warm rebuild with another topic size at this size (0: skip); the demo "
                        "corpus's shipped vectors are used so only the first fit is paid")
    p.add_argument("--child", choices=["build", "plain"])
    p.add_argument("--input")
    p.add_argument("--cache")
    p.add_argument("--overrides", default="{}")
    p.add_argument("--warm-topic-size", type=int, default=None)
    args = p.parse_args()
    if args.child == "build":
        return child_build(args)
    if args.child == "plain":
        return child_plain(args)

    from analysis.config import BuildConfig

    record_results("bench_build")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        convert_s = time_conversion()
        print(f"one-time int8 ONNX conversion of the bundled model (new process, torch import included): "
              f"{convert_s:.1f} s; kept for every build below, as numba's JIT cache is\n")
        spawn("build", sample_corpus(100, tmp / "warmup.parquet"), tmp / "warmup")  # fills the JIT cache once
        print("## Cold builds: seconds per stage (peak RSS MB)\n")
        print("| papers | " + " | ".join(STAGE_NAMES) + " | total s | peak MB | topics |")
        print("|---" * (len(STAGE_NAMES) + 4) + "|")
        for n in [int(s) for s in args.sizes.split(",") if s]:
            data = sample_corpus(n, tmp / f"sample{n}.parquet")
            r = spawn("build", data, tmp / f"cache{n}")
            cells = [f"{r['seconds'].get(s, 0):.1f} ({r['peaks'].get(s, 0):.0f})" for s in STAGE_NAMES]
            print(f"| {r['papers']} | " + " | ".join(cells) +
                  f" | {r['wall']:.1f} | {max(r['peaks'].values()):.0f} | {r['topics']} |", flush=True)

        n = args.compare
        data = sample_corpus(n, tmp / f"compare{n}.parquet")
        cache = tmp / "compare-cache"
        cold = spawn("build", data, cache, warm=None)
        auto = cold["topics"]
        warm = spawn("build", data, cache, warm=17)
        cli = cli_wall(data, cache, 23)
        other = "fp32" if BuildConfig().embed.precision == "int8" else "int8"
        alt = spawn("build", data, tmp / "alt-cache", overrides={"precision": other})
        rows = [("this project, cold (empty caches)", cold["wall"]),
                (f"this project, cold, {other} weights instead of the default", alt["wall"]),
                ("this project, warm, other topic size (in-process, dashboard)", warm["warm_in_process"]),
                ("this project, warm, other topic size (new CLI process)", cli)]
        if not args.skip_plain:
            plain = spawn("plain", data, tmp / "plain")
            rows.append(("plain BERTopic, defaults, same bundled model", plain["wall"]))
        base = rows[-1][1] if not args.skip_plain else None
        print(f"\n## Side by side on the same {n} Daily Papers ({auto} topics by default)\n")
        print("| build | seconds | ratio to plain BERTopic |\n|---|---|---|")
        for name, secs in rows:
            ratio = f"{secs / base:.2f}x" if base else "n/a"
            print(f"| {name} | {secs:.1f} | {ratio} |")

        if args.warm_at:
            data = sample_corpus(args.warm_at, tmp / "warm-at.parquet")
            first = spawn("build", data, tmp / "warm-at-cache", shipped=True, warm=60)
            warm_s = first["warm_in_process"]
            print(f"\n## Warm rebuild at {first['papers']} papers (another topic size, in-process)\n")
            print(f"first build {first['wall']:.1f} s ({first['topics']} topics; vectors shipped, UMAP computed); "
                  f"rebuild with min topic size 60: {warm_s:.1f} s, by stage: "
                  + ", ".join(f"{k} {v:.1f}" for k, v in first["warm_seconds"].items()))


if __name__ == "__main__":
    main()
