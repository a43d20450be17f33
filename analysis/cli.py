"""Command line: ``python -m analysis build|add|refit|edit|evaluate|assign|info|themes|cleanup``.

Heavy libraries, and the project's modules that load them (numpy, pandas),
are imported inside the commands, so ``--help`` answers at once. Bad input
is reported as one ``error: ...`` line with exit status 2; ``--debug`` shows
the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import BuildConfig, with_overrides
from .errors import InputError
from .theme_cli import add_parser as add_themes_parser
from .theme_cli import cmd_themes

EXIT_INPUT = 2
EXIT_INTERNAL = 1


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if n < 2:
        raise argparse.ArgumentTypeError("must be at least 2")
    return n


def _cache_and_wait(command: argparse.ArgumentParser) -> None:
    """The options of every command that changes a run in place."""
    command.add_argument("--cache", type=Path, default=None, metavar="DIR")
    command.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                         help="how long to wait for another change of the run (default 60; 0: refuse at once)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Cluster research papers into labelled topics and themes, offline.",
        epilog="Inputs: Daily Papers page text (.txt), CSV/TSV, JSON, JSONL, Parquet, arXiv Atom XML (.xml).")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a topic run from paper lists",
                       description="Read paper lists, embed, cluster into topics, file under themes, "
                                   "and write a run directory.")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help="input files (formats detected by extension)")
    b.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run directory to write")
    b.add_argument("--themes", metavar="FILE", help="theme file, TOML or YAML (default: data/themes.toml)")
    b.add_argument("--embedder", metavar="NAME_OR_PATH", default=None,
                   help="'all-MiniLM-L6-v2' (bundled, default), 'exact' (the bundled model with fp32 weights "
                        "whatever --precision says) or a local sentence-transformers folder")
    b.add_argument("--precision", choices=["fp32", "int8"], default=None,
                   help="int8 (default: the model converted once to int8 ONNX, ~1.5x faster embedding, cosine "
                        "~0.995 to the exact vectors, same cluster quality) or fp32 (the exact model, in torch)")
    b.add_argument("--max-seq-length", type=int, default=None, metavar="TOKENS",
                   help="tokens embedded per paper (default 256, the model's own setting)")
    b.add_argument("--min-topic-size", type=_positive_int, default=None, metavar="N",
                   help="smallest topic (default: scaled to corpus size, ~sqrt(n)/2)")
    b.add_argument("--keep-outliers", action="store_true",
                   help="leave unclustered papers in topic -1 instead of giving them their nearest topic")
    b.add_argument("--representation", choices=["keybert+mmr", "ctfidf"], default=None,
                   help="how topic keywords are chosen (default keybert+mmr)")
    b.add_argument("--seed", type=int, default=42, help="random seed (same inputs + seed = same run)")
    b.add_argument("--year", type=int, default=None, metavar="YYYY",
                   help="year for page dates without one (default: latest such date not after today)")
    b.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="embedding/reduction cache (default: $PAPERTOPICS_CACHE or ~/.cache/paper-topics)")
    b.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="where embedding and out-of-sample assignment run (default: this process)")
    b.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="join this Ray cluster (default: $RAY_ADDRESS, else start a local one)")
    b.add_argument("--fit-sample", type=_positive_int, default=None, metavar="N",
                   help="fit topics on at most N papers (date-stratified sample), assign the rest "
                        "(default 50000)")
    b.add_argument("--embedding-column", default=None, metavar="NAME",
                   help="the Parquet/JSONL column holding each paper's own vector (default: 'embedding', used "
                        "when present); such papers are not embedded and the model is not loaded")
    b.add_argument("--like", type=Path, default=None, metavar="OLD_RUN",
                   help="keep the topic ids and labels of an earlier run (matched one to one)")
    b.add_argument("--quiet", action="store_true", help="no progress output")

    g = sub.add_parser("add", help="add papers to a run in place (old papers keep topic, label and position)",
                       description="Read new paper lists, skip papers already in the run, embed the rest and "
                                   "give each the nearest topic, a fit score, a novel flag, a map position "
                                   "and its themes; the run is swapped in atomically.")
    g.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    g.add_argument("inputs", nargs="+", metavar="INPUT")
    _cache_and_wait(g)

    r = sub.add_parser("refit", help="re-cluster a run's papers, keeping topic ids and labels",
                       description="Cluster every paper again, match the new clusters to the old topics one "
                                   "to one (kept, split, merged, new; retired ids are never reused) and align "
                                   "the new map to the old one.")
    r.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    r.add_argument("--min-topic-size", type=_positive_int, default=None, metavar="N")
    r.add_argument("--seed", type=int, default=None, help="random seed (default: the run's)")
    r.add_argument("--relabel", action="store_true",
                   help="refresh the labels of kept topics too (a label a user set is never replaced)")
    _cache_and_wait(r)

    e = sub.add_parser("evaluate", help="compare a run's topics with reference labels",
                       description="Match papers by id, else by normalised title, and report NMI, ARI "
                                   "and V-measure; write the topic x label table as CSV.")
    e.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    e.add_argument("--labels", required=True, type=Path, metavar="FILE", help="file with ids/titles and labels")
    e.add_argument("--label-column", required=True, metavar="COL", help="column holding the label")
    e.add_argument("--out", type=Path, default=None, metavar="CSV",
                   help="contingency table CSV (default: RUN_DIR/contingency_<COL>.csv)")

    a = sub.add_parser("assign", help="assign new papers to a run's topics without refitting",
                       description="Embed new papers and give each the most similar topic of a finished "
                                   "run (its saved model), plus themes; write a CSV.")
    a.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    a.add_argument("inputs", nargs="+", metavar="INPUT")
    a.add_argument("--out", required=True, type=Path, metavar="CSV")
    a.add_argument("--cache", type=Path, default=None, metavar="DIR")

    _edit_parser(sub)

    i = sub.add_parser("info", help="summarise a run directory")
    i.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    add_themes_parser(sub)
    c = sub.add_parser("cleanup", help="delete visitors' runs older than some days (shared mode; never the operator's)",
                       description="Delete the runs visitors built on a shared dashboard whose last build or "
                                   "change is older than --older-than days; runs without a visitor owner are kept.")
    c.add_argument("runs_dir", type=Path, metavar="RUNS_DIR")
    c.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    c.add_argument("--dry-run", action="store_true", help="list what would go, delete nothing")
    return parser


def cmd_cleanup(args) -> int:
    from .access import cleanup

    removed = cleanup(args.runs_dir, args.older_than, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for run in removed:
        print(f"{verb} {run.name}")
    print(f"{verb} {len(removed)} visitor run{'s' * (len(removed) != 1)} older than {args.older_than:g} days",
          file=sys.stderr)
    return 0


def _topic_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a topic id") from None


def _edit_parser(sub) -> None:
    ed = sub.add_parser("edit", help="curate a run's topics: rename, merge, split, move, undo, log",
                        description="Append one edit to the run's edits.jsonl and swap the curated run into "
                                    "place (papers, topics, trends); edits survive add and refit.")
    ed.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    ed.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                    help="how long to wait for another change of the run (default 60; 0: refuse at once)")
    kinds = ed.add_subparsers(dest="kind", required=True)
    rn = kinds.add_parser("rename", help="give a topic your own label (never replaced by a refit)")
    rn.add_argument("topic_id", type=_topic_id, metavar="TOPIC_ID")
    rn.add_argument("label", metavar="LABEL")
    mg = kinds.add_parser("merge", help="merge topics into the first one's id")
    mg.add_argument("topic_ids", nargs="+", type=_topic_id, metavar="TOPIC_ID")
    sp = kinds.add_parser("split", help="re-cluster a topic's papers into sub-topics with new ids")
    sp.add_argument("topic_id", type=_topic_id, metavar="TOPIC_ID")
    sp.add_argument("--into", type=_positive_int, default=None, metavar="K",
                    help="number of sub-topics (default: chosen by silhouette, 2-8)")
    mv = kinds.add_parser("move", help="move papers to a topic (they stay pinned there)")
    mv.add_argument("--to", required=True, type=_topic_id, metavar="TOPIC_ID")
    mv.add_argument("paper_ids", nargs="+", metavar="PAPER_ID")
    kinds.add_parser("undo", help="undo the last edit in force (appends an undo record)")
    kinds.add_parser("log", help="print the history of edits")


def _progress_printer(quiet: bool):
    last = {"stage": None}

    def show(stage: str, fraction: float, message: str) -> None:
        if quiet or stage == "embed" and fraction > 0:
            return
        if stage != last["stage"]:
            print(f"[{stage}] {message}", file=sys.stderr, flush=True)
            last["stage"] = stage

    return show


def cmd_build(args) -> int:
    from .pipeline import build
    from .rundir import check_out_dir, save_run

    check_out_dir(args.out)  # before the heavy work, not after it
    model, precision = args.embedder, args.precision
    if model == "exact":
        model, precision = None, "fp32"
    changes = {k: v for k, v in {
        "model": model, "precision": precision, "max_seq_length": args.max_seq_length,
        "min_topic_size": args.min_topic_size,
        "representation": args.representation, "seed": args.seed, "year": args.year,
        "themes_file": args.themes, "fit_sample": args.fit_sample}.items() if v is not None}
    if args.keep_outliers:
        changes["reduce_outliers"] = False
    config = with_overrides(BuildConfig(), **changes)
    from .engines import make_engine
    from .themes import load_themes

    themes = load_themes(args.themes)  # fail fast on a bad theme file, before any heavy work
    engine = make_engine(args.engine, args.ray_address)
    try:
        result = build(args.inputs, config, cache_dir=args.cache, themes=themes, engine=engine,
                       progress=_progress_printer(args.quiet), show_bars=not args.quiet,
                       vector_column=args.embedding_column)
    finally:
        engine.close()
    if args.like:
        from .growth import like_run

        like_run(result, args.like, cache_dir=args.cache)
    out = save_run(result, args.out)
    c = result.meta["counts"]
    for w in result.meta["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    own = f", {c['vectors_supplied']} with their own vectors" if c.get("vectors_supplied") else ""
    print(f"wrote {out}: {c['kept']} papers in {c['topics']} topics, {c['skipped']} skipped "
          f"(of {c['input']} input rows); {c['embedded_new']} newly embedded{own}")
    if args.like:
        print(_identity_line(result.meta["like"], f"like {args.like}"))
    return 0


def _identity_line(s: dict, what: str) -> str:
    return (f"{what}: {s['kept']} topics kept, {s['split']} split, {s['merged']} merged, {s['new']} new, "
            f"{s['retired']} retired; {s['share_kept']:.0%} of the old papers keep their topic id")


def _wait(args) -> float:
    from .runlock import DEFAULT_TIMEOUT_S

    return DEFAULT_TIMEOUT_S if args.wait is None else args.wait


def cmd_add(args) -> int:
    from .growth import add_papers

    report = add_papers(args.run_dir, args.inputs, cache_dir=args.cache, timeout=_wait(args))
    if report.number == 0:
        print(f"nothing added to {args.run_dir}: all {report.n_input} input rows were skipped "
              f"({report.already} already in the run)")
        return 0
    print(f"added {report.added} papers to {args.run_dir} (addition {report.number}); {report.skipped} skipped "
          f"({report.already} already in the run); {report.novel} novel; {report.seconds['total']:.1f} s")
    if report.ignored_vectors:
        print("note: the new papers' own vectors were ignored; this run's papers are embedded with its model")
    if report.suggestion:
        print(f"note: {report.suggestion}")
    return 0


def cmd_refit(args) -> int:
    from .growth import refit_run

    _, summary = refit_run(args.run_dir, min_topic_size=args.min_topic_size, seed=args.seed, relabel=args.relabel,
                           cache_dir=args.cache, timeout=_wait(args))
    print(_identity_line(summary, f"refit {args.run_dir}"))
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_run

    report = evaluate_run(args.run_dir, args.labels, args.label_column, out=args.out)
    m = report["metrics"]
    print(f"matched {m['n_matched']} of {report['n_run']} papers "
          f"({report['matched_by_id']} by id, {report['matched_by_title']} by title)")
    print(f"NMI {m['nmi']:.3f}  ARI {m['ari']:.3f}  V-measure {m['v_measure']:.3f}")
    print(f"contingency table: {report['contingency']}")
    return 0


def cmd_assign(args) -> int:
    from .assign import assign_files
    from .export import to_safe_csv

    frame = assign_files(args.run_dir, args.inputs, cache_dir=args.cache)
    to_safe_csv(frame, args.out)
    print(f"wrote {args.out}: {len(frame)} papers assigned to {frame['topic_id'].nunique()} topics")
    return 0


def cmd_edit(args) -> int:
    from .edits import apply_edit, describe, read_log
    from .rundir import is_run

    if not is_run(args.run_dir.resolve()):
        from .errors import InputError

        raise InputError(f"{args.run_dir}: not a finished run directory")
    if args.kind == "log":
        for r in read_log(args.run_dir):
            print(f"{r['n']:>3}  {r['at']}  {describe(r)}{'  [undone]' if r['undone'] else ''}")
        return 0
    fields = {"rename": ("topic_id", "label"), "merge": ("topic_ids",), "split": ("topic_id", "into"),
              "move": ("to", "paper_ids"), "undo": ()}[args.kind]
    edit = {"kind": args.kind, **{f: getattr(args, f) for f in fields}}
    summary = apply_edit(args.run_dir, edit, timeout=_wait(args))
    print(f"{args.run_dir}: {summary.message}")
    return 0


def _print_edits(meta: dict) -> None:
    edits = meta.get("edits")
    if edits:
        print(f"edits: {edits['count']} in the log, {edits['in_force']} in force (last {edits['last_at']})")
    for u in meta.get("edits_unapplied", []):
        print(f"edit {u['n']} not applied ({u['edit']}): {u['reason']}")


def cmd_info(args) -> int:
    from .rundir import load_run

    run = load_run(args.run_dir)
    c, m = run.meta["counts"], run.meta.get("metrics", {})
    print(f"{run.path}: {c['kept']} papers, {c['topics']} topics, {c['skipped']} skipped")
    print(f"NPMI {m.get('npmi')}  diversity {m.get('diversity')}  silhouette {m.get('silhouette')}  "
          f"outliers before reassignment {m.get('outlier_share')}")
    v = run.meta.get("vectors") or {}
    if v.get("source") == "supplied":
        print(f"vectors: the papers' own, {v.get('dimension')} numbers in '{v.get('column')}' (keywords by c-TF-IDF)")
    for row in run.topics.itertuples():
        status = f"  [{row.status}]" if getattr(row, "status", "") not in ("", "new", None) else ""
        print(f"  {row.topic_id:>3}  {row.size:>5}  {row.topic_label}{status}")
    for a in run.meta.get("additions", []):
        k = a["counts"]
        print(f"addition {a['number']} ({a['at']}): {k['added']} papers added, {k['novel']} novel, "
              f"{k['skipped']} skipped ({k['already_in_run']} already in the run)")
    for r in run.meta.get("refits", []):
        print(_identity_line(r, f"refit ({r['at']})"))
    _print_edits(run.meta)
    suggestion = (run.meta.get("pile_up") or {}).get("message")
    if suggestion:
        print(f"suggestion: {suggestion}")
    return 0


COMMANDS = {"build": cmd_build, "add": cmd_add, "refit": cmd_refit, "evaluate": cmd_evaluate, "assign": cmd_assign,
            "info": cmd_info, "edit": cmd_edit, "themes": cmd_themes, "cleanup": cmd_cleanup}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory; try a smaller input or raise the machine's memory", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # last resort: one line, never a traceback (unless --debug)
        if args.debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"error: internal error {type(exc).__name__}: {first} (rerun with --debug for details)",
              file=sys.stderr)
        return EXIT_INTERNAL
