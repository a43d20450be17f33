"""Theme assignment: quality on the hand-labelled sets, and the time to apply themes to a run.

    python bench/bench_themes.py quality [--per-theme] [--supplied] [--cache DIR]
    python bench/bench_themes.py apply RUN_DIR [--themes FILE] [--repeat 3] [--cache DIR]
    python bench/bench_themes.py baseline        # the name-literal matcher the project had before

``quality`` files each labelled set (tests/fixtures/themes, and the seed
page) with the name-only themes, the default file and our own two themes,
and prints micro and per-theme precision, recall and F1 for the tuning and
held-out halves; ``--supplied`` files them as a supplied-vector run is
(the bundled model's own vectors handed in, no theme embedded, no
reference corpus), so only the procedure differs. ``apply`` times ``apply_themes`` on a run (the demo run:
build data/hf_daily_papers.parquet first) in a fresh process per repeat,
as the CLI would run. Labels are only used to score.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.config import SEED_PAGE, default_cache_dir  # noqa: E402
from analysis.theme_eval import evaluate, load_labelled, load_seed_labels, micro_f1, scores  # noqa: E402
from analysis.themes import load_themes  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
FILES = {"name + sentence": FIXTURES / "themes" / "name_only.toml", "default file": None,
         "own themes": FIXTURES / "themes" / "custom_themes.toml"}


def labelled_sets():
    yield "seed page", load_seed_labels(SEED_PAGE, FIXTURES / "seed_page_themes.csv"), [None]
    yield "arXiv (unseen)", load_labelled(FIXTURES / "themes" / "arxiv_themes.csv"), ["tune", "heldout"]
    yield "Daily Papers", load_labelled(FIXTURES / "themes" / "daily_themes.csv"), ["tune", "heldout"]


def quality(args) -> None:
    print("| set | themes | part | micro P | micro R | micro F1 | papers |")
    print("|---|---|---|---|---|---|---|")
    details = []
    for set_name, labelled, splits in labelled_sets():
        for file_name, path in FILES.items():
            if file_name == "own themes" and set_name != "Daily Papers":
                continue
            themes = load_themes(path)
            for split in splits:
                table = evaluate(labelled, themes, split=split, cache_dir=args.cache, **supplied_kwargs(labelled, args))
                micro = table.iloc[-1]
                n = len(labelled.part(split).papers)
                print(f"| {set_name} | {file_name} | {split or 'all'} | {micro.precision:.2f} | {micro.recall:.2f} "
                      f"| {micro_f1(table):.3f} | {n} |", flush=True)
                details.append((set_name, file_name, split or "all", table))
    if args.per_theme:
        for set_name, file_name, split, table in details:
            print(f"\n{set_name} · {file_name} · {split}")
            print(table.round(2).to_string(index=False))


def supplied_kwargs(labelled, args) -> dict:
    """``--supplied``: the labelled papers' vectors from the bundled model, handed in as their own."""
    if not args.supplied:
        return {}
    from analysis.theme_apply import run_texts
    from analysis.themes import _embedder, embed_texts

    embedder, root = _embedder(None, args.cache)
    return {"embeddings": embed_texts(run_texts(labelled.papers), embedder, root), "supplied": True}


def baseline(args) -> None:
    """The matcher the project had before (name literally in the title, or twice in the abstract)."""
    from analysis.theme_text import compile_phrase, normalise_text

    print("| set | part | micro P | micro R | micro F1 |")
    print("|---|---|---|---|---|")
    themes = load_themes(FILES["name + sentence"])
    for set_name, labelled, splits in labelled_sets():
        for split in splits:
            part = labelled.part(split)
            predicted = []
            for t, a in zip(part.papers["title"], part.papers["abstract"]):
                got = set()
                for theme in themes.themes:
                    literal = compile_phrase(theme.name)
                    score = 3 * bool(literal.search(normalise_text(t))) + len(literal.findall(normalise_text(a)))
                    if score >= 2:
                        got.add(theme.name)
                predicted.append(got)
            table = scores(predicted, part, themes.names)
            micro = table.iloc[-1]
            print(f"| {set_name} | {split or 'all'} | {micro.precision:.2f} | {micro.recall:.2f} | "
                  f"{micro_f1(table):.3f} |")


def apply(args) -> None:
    code = ("import sys, time; t = time.perf_counter(); sys.path.insert(0, %r)\n"
            "from analysis.theme_apply import apply_themes\nfrom analysis.themes import load_themes\n"
            "a = apply_themes(%r, load_themes(%r), cache_dir=%r)\n"
            "print(round(time.perf_counter() - t, 2), a.seconds, a.counts)")
    for i in range(args.repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code % (str(ROOT), str(args.run_dir), args.themes,
                                                            str(args.cache))],
                             capture_output=True, text=True, check=True).stdout.strip()
        print(f"apply #{i + 1}: {time.perf_counter() - t0:.2f} s wall incl. interpreter start; "
              f"in-process {out}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--per-theme", action="store_true")
    q.add_argument("--supplied", action="store_true", help="file as a run whose papers brought their own vectors")
    b = sub.add_parser("baseline")
    a = sub.add_parser("apply")
    a.add_argument("run_dir", type=Path)
    a.add_argument("--themes", default=None)
    a.add_argument("--repeat", type=int, default=3)
    for p in (q, b, a):
        p.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    {"quality": quality, "baseline": baseline, "apply": apply}[args.command](args)


if __name__ == "__main__":
    main()



