"""Data: the current run's inputs, opening another run, and building a new one from your own papers."""

import json
from pathlib import Path

import streamlit as st

from analysis import access, workspace
from analysis.config import DEMO_CORPUS, SEED_PAGE, BuildConfig, Limits, default_runs_dir
from analysis.errors import InputError
from analysis.export import safe_filename
from analysis.readers import FORMATS
from analysis.run import is_run, list_runs, load_run, with_overrides
from analysis.themes import load_themes, parse_theme_bytes, themes_to_toml
from pages import _access, _growth
from pages._builds import build_target, follow_build
from pages._flash import flash, show_flash
from pages._nav import page_view
from pages._theme_editor import render_theme_editor
from pages._view import RUN_KEY, UNREADABLE
from pages._widgets import header, markdown_literal

view = page_view()
ss = st.session_state
root = default_runs_dir()
limits = Limits.from_env()
share = _access.share()
visitor = _access.current_visitor()
UPLOAD_MB = max(1, min(200, limits.max_bytes // 1_000_000, share.upload_mb if share.shared else 200))


def shown(text) -> str:
    """Text for the page: in shared mode with every server folder hidden (access.redact_paths)."""
    return access.redact_paths(str(text)) if share.shared else str(text)

header("Data", "Which papers the dashboard shows: grow the open run with new papers, open another run, or "
       "build a new one from a file or a pasted Daily Papers page with your own themes and settings.")
show_flash()
for reason in (ss.get(UNREADABLE) or {}).values():
    st.error(markdown_literal(shown(reason)), icon=":material/folder_off:")
if ss.get("_open_error"):
    st.error(markdown_literal(shown(ss.pop("_open_error"))))
_access.editor_sign_in()


def open_run(path: str) -> None:
    """Button callback: switch this session to another run folder (shared mode: a run of the runs folder, by name)."""
    try:
        checked = workspace.open_by_name(path, root) if share.shared else workspace.check_run_dir(path)
    except InputError as exc:
        ss["_open_error"] = str(exc)
        return
    (ss.get(UNREADABLE) or {}).pop(str(checked), None)  # try it again: it may have been repaired
    ss[RUN_KEY] = str(checked)
    flash(f"Opened run {markdown_literal(checked.name)}.")


# --------------------------------------------------------------------------- the current run
def current_run_section(view) -> None:
    """What the open run holds; in shared mode without server paths or library versions."""
    run = view.run
    counts = run.meta.get("counts", {})
    st.subheader(f"Current run: {markdown_literal(view.name)}", divider="gray")
    if not share.shared:
        st.text(f"Folder: {run.path}")
    elif not _access.can_write(view.path):
        st.caption("A run you did not build: you can explore it, and build your own copy below.")
    c = st.columns(5)
    c[0].metric("Papers", f"{counts.get('kept', len(run.papers)):,}")
    c[1].metric("Rows skipped", f"{counts.get('skipped', len(run.skipped)):,}")
    c[2].metric("Topics", f"{counts.get('topics', len(run.topics)):,}")
    c[3].metric("Undated papers", f"{counts.get('undated', 0):,}")
    c[4].metric("Build time", f"{sum(run.meta.get('seconds', {}).values()):.0f} s")
    inputs = [dict(i) for i in run.meta.get("inputs", [])]
    if share.shared:
        for item in inputs:
            item["path"] = Path(str(item.get("path", ""))).name
    if inputs:
        st.dataframe(inputs, hide_index=True, width="stretch",
                     column_config={"path": "Input", "sha256": None, "format": "Format", "rows": "Rows"})
    for warning in run.meta.get("warnings", []):
        st.warning(markdown_literal(shown(warning)), icon=":material/warning:")
    if len(run.skipped):
        with st.expander(f"{len(run.skipped):,} skipped rows and why"):
            skipped = run.skipped
            if share.shared and "source" in skipped:
                skipped = skipped.assign(source=skipped["source"].astype(str).map(lambda v: Path(v).name))
            st.dataframe(skipped, hide_index=True, width="stretch")
    if share.shared:
        with st.expander("Build parameters"):
            st.json(json.loads(shown(json.dumps({k: run.meta.get(k) for k in ("created", "parameters", "seconds")},
                                                default=str))), expanded=2)
    else:
        with st.expander("Build parameters and versions"):
            st.json({k: run.meta.get(k) for k in ("created", "parameters", "model", "vectors", "versions", "seconds")},
                    expanded=1)

    if share.shared and _access.can_write(view.path):
        delete_section(view)


def _delete(path: str) -> None:
    """Button callback: delete the open run (a visitor's own, or any for an editor), then open the default."""
    try:
        access.delete_run(path, visitor, share)
    except InputError as exc:
        ss["_open_error"] = str(exc)
        return
    ss.pop(RUN_KEY, None)
    ss.pop("confirm_delete", None)
    flash(f"Deleted run {markdown_literal(Path(path).name)}.")


def delete_section(view) -> None:
    """Shared mode: a visitor frees a place in the quota by deleting a run of theirs."""
    with st.expander("Delete this run"):
        sure = st.checkbox(f"Yes, delete '{view.name}' for everyone", key="confirm_delete")
        st.button("Delete run", key="delete_run", icon=":material/delete:", disabled=not sure,
                  on_click=_delete, args=(view.path,))


if view is not None:
    current_run_section(view)

# --------------------------------------------------------------------------- grow the current run
GROW_KEY = "_grow_job"  # session state: (run folder, "add" | "refit", additions before) of this session's job


def grow_section(view) -> None:
    """Add papers to the open run, or refit its topics; both run in the background under the run's lock."""
    run = view.run
    st.subheader("Grow this run", divider="gray")
    if not _growth.available():
        st.caption("Adding papers needs the growth core (analysis.growth), which this checkout lacks.")
        return
    if not _access.can_write(view.path):
        st.caption("Only the one who built this run (or an editor) can add papers to it or refit it.")
        return
    pile = run.meta.get("pile_up") or {}
    if pile.get("suggest_refit"):
        st.warning(markdown_literal(pile.get("message") or "Novel papers are piling up: refit the topics."),
                   icon=":material/auto_awesome:")
    running = workspace.running_build(view.path)
    busy = running is not None and not running.done
    add_col, refit_col = st.columns(2)
    with add_col:
        st.markdown("**Add papers to this run**")
        st.caption("New papers get the topic they fit best and a place on the map; papers already in the run "
                   "are skipped, and nothing that is there moves.")
        how = st.radio("New papers from", ["paste", "upload"], horizontal=True, key="add_src",
                       format_func={"paste": "a pasted Daily Papers page", "upload": "uploaded files"}.get)
        items = []
        if how == "upload":
            files = st.file_uploader(f"Files ({', '.join(FORMATS)}); up to {UPLOAD_MB} MB each",
                                     accept_multiple_files=True, key="add_uploads", max_upload_size=UPLOAD_MB) or []
            items = [(f.name, f.getvalue()) for f in files]
        else:
            text = st.text_area("Paste a Hugging Face Daily Papers page", height=160, key="add_paste",
                                placeholder="Daily Papers\n…\nSep 24\nTitle\nAbstract…")
            items = [("pasted-page.txt", text.encode("utf-8"))] if text.strip() else []
        if st.button("Add papers", icon=":material/add:", key="add", disabled=busy or not items):
            try:
                access.check_uploads(items, share)
                _growth.start_add(view.path, items)
            except InputError as exc:
                st.error(markdown_literal(shown(exc)))
            else:
                ss[GROW_KEY] = (view.path, "add", len(run.meta.get("additions") or []))
    with refit_col:
        st.markdown("**Refit topics**")
        st.caption("Re-cluster every paper. Topics that survive keep their id and label; new ones get fresh ids, "
                   "and ids of topics that disappear are never reused.")
        r = st.columns(3)
        used = run.meta.get("parameters", {}).get("topics", {}).get("min_topic_size")
        size = r[0].number_input("Min topic size (0 = as built)", 0, 500, 0, 1, key="refit_size",
                                 help=f"The build used {used}." if used else None)
        seed_value = r[1].number_input("Seed (0 = as built)", 0, 2**31 - 1, 0, 1, key="refit_seed")
        relabel = r[2].checkbox("Refresh labels", key="refit_relabel",
                                help="Give kept topics fresh automatic labels (a label you set is never replaced).")
        if st.button("Refit topics", icon=":material/autorenew:", key="refit", disabled=busy):
            try:
                _growth.start_refit(view.path, min_topic_size=int(size) or None, seed=int(seed_value) or None,
                                    relabel=relabel)
            except InputError as exc:
                st.error(markdown_literal(shown(exc)))
            else:
                ss[GROW_KEY] = (view.path, "refit", len(run.meta.get("additions") or []))
    follow_growth(view)
    summary = _growth.refit_summary(run.meta)
    if summary:
        with st.expander(f"Last refit ({summary['at']}): what it kept, split, merged, created and retired",
                         expanded=ss.pop("_refit_just_done", False)):
            show_refit(summary)


def follow_growth(view) -> None:
    """This session's add or refit until it ends (then a rerun shows the grown run); another session's, as news."""
    mine = ss.get(GROW_KEY)
    job = workspace.running_build(view.path)
    if mine and mine[0] == view.path:
        if job is None:
            ss.pop(GROW_KEY)
            return
        label = "Adding papers" if mine[1] == "add" else "Refitting topics"
        ok = follow_build(job, label)
        workspace.forget_build(job)
        ss.pop(GROW_KEY)
        if ok:
            meta = load_run(view.path).meta
            if mine[1] == "add":
                flash(markdown_literal(_growth.add_summary(meta, mine[2])))
            else:
                ss["_refit_just_done"] = True
                flash(f"Refitted the topics in {job.elapsed:.0f} s: see 'Last refit' below.")
            st.rerun()
    elif job is not None and not job.done:
        follow_build(job, "Another session is changing this run")
        st.rerun()


def show_refit(summary: dict) -> None:
    counts = summary["counts"]
    c = st.columns(6)
    for col, key, label in zip(c, ("kept", "split", "merged", "new", "retired"),
                               ("Kept", "Split", "Merged", "New", "Retired ids"), strict=False):
        col.metric(label, counts.get(key, len(summary[key])))
    if summary.get("share_kept") is not None:
        c[5].metric("Old papers under their old id", f"{100 * float(summary['share_kept']):.0f} %")
    rows = [("kept (same id and label)", ", ".join(map(str, summary["kept"]))),
            ("split (old → new ids)", "; ".join(summary["split"])),
            ("merged (old ids → one)", "; ".join(summary["merged"])),
            ("new (ids never used before)", ", ".join(map(str, summary["new"]))),
            ("retired (no longer used; never reused)", ", ".join(map(str, summary["retired"])))]
    st.dataframe([{"what": w, "topics": t or "none"} for w, t in rows], hide_index=True, width="stretch")


if view is not None:
    grow_section(view)
    st.subheader("Themes of this run", divider="gray")
    st.caption("Write or change a theme (a name and one sentence is enough), see what it files, mark examples "
               "in or out, and apply the themes to this run: no rebuild, topics and map stay as they are.")
    if _access.can_write(view.path):
        render_theme_editor(view.run)
    else:
        st.caption("Only the one who built this run (or an editor) can change its themes: build your own copy to "
                   "try other themes.")

# --------------------------------------------------------------------------- open another run
def open_section(view) -> None:
    """The runs of the runs folder; local mode also opens a folder anywhere, shared mode only by name."""
    st.subheader("Open a run", divider="gray")
    runs = list_runs(root)
    where = "" if share.shared else f" in {markdown_literal(root)}"
    if runs:
        current = str(view.run.path) if view is not None else None
        if share.shared:  # by name: a server path never reaches the page
            labels = {p.name: workspace.run_label(p) for p in runs}
            current = view.name if view is not None else None
        else:
            labels = {str(p.resolve()): workspace.run_label(p) for p in runs}
        keys = list(labels)
        pick = st.selectbox(f"Runs{where}", keys, format_func=labels.get, key="open_pick",
                            index=keys.index(current) if current in keys else 0)
        st.button("Open this run", on_click=open_run, args=(pick,), disabled=pick == current, key="open_listed")
    else:
        st.caption(f"No finished runs{where} yet.")
    if share.shared:
        return
    other = st.text_input("Or open a run folder anywhere (its path)", key="open_path",
                          placeholder="/path/to/run", help="A folder written by a build (it holds run.json).")
    st.button("Open folder", on_click=lambda: open_run(ss.get("open_path", "")), disabled=not other.strip(),
              key="open_other")


open_section(view)

# --------------------------------------------------------------------------- build a new run
st.subheader("Build a new run", divider="gray")
#: A visitor of a shared server does not rebuild the 9,877-paper demo: it is there to open.
SOURCES = ["upload", "paste", "seed"] if share.shared and not visitor.editor else ["upload", "paste", "demo", "seed"]
source = st.radio("Papers from", SOURCES, horizontal=True, key="src", format_func={
    "upload": "uploaded files", "paste": "a pasted Daily Papers page", "demo": "the bundled demo corpus",
    "seed": "the bundled seed page"}.get)
uploads, pasted, year = [], "", None
if source == "upload":
    uploads = st.file_uploader(
        f"Files ({', '.join(FORMATS)}); up to {UPLOAD_MB} MB each", accept_multiple_files=True, key="uploads",
        max_upload_size=UPLOAD_MB,
        help="A Daily Papers page saved as .txt, CSV/TSV, JSON/JSONL or Parquet with title and abstract "
             "columns (date, id, authors, url optional), or an arXiv Atom feed (.xml). JSONL or Parquet with an "
             "'embedding' column (a list of numbers per paper) brings the papers' own vectors: nothing is "
             "embedded, and keywords are c-TF-IDF only.") or []
elif source == "paste":
    pasted = st.text_area("Paste a Hugging Face Daily Papers page (select all on the page, copy, paste here)",
                          height=200, key="paste", placeholder="Daily Papers\n…\nSep 23\nTitle\nAbstract…")
if source in ("upload", "paste"):
    year = st.number_input("Year of undated page dates like 'Sep 23' (empty: the most recent such date)",
                           min_value=1990, max_value=2100, value=None, step=1, key="year")

st.markdown("**Themes** · papers are filed under a theme from its name and description; keywords are optional "
            "help")
base_themes = load_themes(None)
if "_theme_rows" not in ss:
    run_themes = view.run.meta.get("themes") if view is not None else None
    ss["_theme_rows"] = workspace.theme_table(run_themes or base_themes)
    ss["_theme_version"] = 0
theme_file = st.file_uploader("Replace the list with a theme file (TOML or YAML)", type=["toml", "yaml", "yml"],
                              key="theme_file", max_upload_size=1)
if theme_file is not None and ss.get("_theme_file_id") != theme_file.file_id:
    ss["_theme_file_id"] = theme_file.file_id
    try:
        loaded = parse_theme_bytes(theme_file.getvalue(), safe_filename(theme_file.name, "themes.toml"))
    except InputError as exc:
        st.error(markdown_literal(str(exc)))
    else:
        ss["_theme_rows"] = workspace.theme_table(loaded)
        ss["_theme_version"] += 1
        ss["theme_threshold"] = float(loaded.threshold)
edited = st.data_editor(ss["_theme_rows"], num_rows="dynamic", width="stretch", hide_index=True,
                        key=f"theme_editor_{ss['_theme_version']}", column_config={
                            "name": st.column_config.TextColumn("Name", required=True),
                            "description": st.column_config.TextColumn("Description", width="large"),
                            "keywords": st.column_config.TextColumn("Keywords (separated by ; or ,)", width="large")})
t1, t2 = st.columns([1, 3])
threshold = t1.number_input("Theme threshold (probability)", 0.05, 1.0, float(base_themes.threshold), 0.05,
                            key="theme_threshold",
                            help="How sure the filer must be that a paper is about a theme (0.5 by default).")
theme_error = None
try:
    themes = workspace.themes_from_table(edited, threshold=threshold, base=base_themes)
    t2.download_button("Download these themes (TOML)", themes_to_toml(themes), file_name="themes.toml",
                       mime="application/toml", on_click="ignore", key="dl_themes")
except InputError as exc:
    themes, theme_error = None, str(exc)
    st.error(f"Themes: {markdown_literal(theme_error)}")

st.markdown("**Settings**")
p = st.columns(5)
min_size = p[0].number_input("Min topic size (0 = automatic)", 0, 500, 0, 1, key="min_size",
                             help="Smallest cluster that counts as a topic; automatic grows with the corpus "
                                  "(about 4 for a page, 50 for 10,000 papers).")
seed = p[1].number_input("Seed", 0, 2**31 - 1, 42, 1, key="seed", help="Same data + same seed = same topics.")
tokens = p[2].selectbox("Tokens embedded", [128, 192, 256], index=2, key="tokens",
                        help="How much of 'title. abstract' the model reads. 256 is the model's own setting; "
                             "fewer embed faster but cost cluster quality.")
representation = p[3].selectbox("Keywords", ["keybert+mmr", "ctfidf"], key="representation",
                                help="keybert+mmr: varied phrases close to the topic; ctfidf: most distinctive words.")
keep_outliers = p[4].checkbox("Keep outliers", key="keep_outliers",
                              help="Keep unclustered papers as topic -1 instead of giving them their nearest topic.")

suggested = {"upload": safe_filename(Path(uploads[0].name).stem, "upload") if uploads else "my-papers",
             "paste": "pasted-page", "demo": "demo-custom", "seed": "seed-page"}[source]


def target_dir(name: str) -> Path | None:
    """The folder a build of ``name`` writes (a visitor's in the visitor's namespace); None for a bad name."""
    try:
        return workspace.run_dir_for_name(access.namespaced(name, visitor, share), root)
    except InputError:
        return None


def name_and_replace() -> tuple[str, bool, bool]:
    """The run name, 'replace a run of that name', and the confirmation to rebuild the run being viewed."""
    n1, n2 = st.columns([3, 1])
    where = "your own namespace of the runs folder" if share.shared and not visitor.editor else (
        "the runs folder" if share.shared else str(root))
    name = n1.text_input("Run name", key="run_name", placeholder=suggested,
                         help=f"Saved as a folder in {where}; letters, digits, '.', '_' and '-'.") or suggested
    replace = n2.checkbox("Replace a run of that name", key="replace")
    out = target_dir(name)
    if share.shared and not visitor.editor and out is not None:
        st.caption(f"Saved as run **{markdown_literal(out.name)}** (visitors' runs carry their own prefix, so "
                   "they never replace anyone else's).")
    rebuild = False
    if view is not None and out is not None and out == Path(view.run.path).resolve():
        rebuild = st.checkbox(f"Yes, rebuild '{out.name}', the run I am viewing, in place (it is replaced "
                              "atomically when the build ends)", key="confirm_rebuild")
    return name, replace, rebuild


name, replace, rebuild = name_and_replace()
if share.shared:
    running, waiting = workspace.queue_counts()
    st.caption(f"This server runs {share.max_builds} build{'s' * (share.max_builds != 1)} at a time "
               f"({running} running, {waiting} waiting); others wait in line. Visitors may keep "
               f"{share.runs_per_visitor} runs, of up to {share.upload_count} files of {share.upload_mb} MB each.")


def prepare():
    """Everything a build needs, checked before the build starts (so mistakes show at once)."""
    out = workspace.run_dir_for_name(access.namespaced(name, visitor, share), root)
    if out.exists() and not is_run(out):
        raise InputError(f"{out.name}: a folder of that name exists and is not a run; choose another name")
    viewing = view is not None and out == Path(view.run.path).resolve()
    if viewing and not rebuild:
        raise InputError(f"'{out.name}' is the run you are viewing: tick 'Yes, rebuild …' to replace it in place, "
                         "or choose another name")
    if is_run(out) and not (replace or viewing):
        raise InputError(f"a run named '{out.name}' exists: tick 'Replace a run of that name' or choose another")
    if is_run(out):
        access.refuse_unless_writable(out, visitor, share)
    access.check_build_quota(root, out, visitor, share)
    if themes is None:
        raise InputError(f"fix the theme list first ({theme_error})")
    yr = int(year) if year else None
    if source == "upload":
        items = [(f.name, f.getvalue()) for f in uploads]
        access.check_uploads(items, share)
        inputs = workspace.corpus_from_uploads(items, year=yr, limits=limits)
    elif source == "paste":
        if not pasted.strip():
            raise InputError("paste a Daily Papers page first")
        items = [("pasted-page.txt", pasted.encode("utf-8"))]
        access.check_uploads(items, share)
        inputs = workspace.corpus_from_uploads(items, year=yr, limits=limits)
    else:
        inputs = [DEMO_CORPUS if source == "demo" else SEED_PAGE]
    config = with_overrides(BuildConfig(), min_topic_size=int(min_size) or None, seed=int(seed),
                            max_seq_length=int(tokens), representation=representation,
                            reduce_outliers=not keep_outliers)
    return out, inputs, config


def start() -> None:
    """Check the form and start the build (in its place in the server's line)."""
    try:
        out, inputs, config = prepare()
    except InputError as exc:
        st.error(markdown_literal(shown(exc)))
        return
    workspace.start_build(out, build_target(inputs, config, themes, out, visitor),
                          work=workspace.work_key(inputs, config), share=share)
    ss["_build_out"] = str(out)


def follow() -> None:
    """This session's build until it ends; then open the run it made (a rebuild in place stays open)."""
    job = workspace.running_build(ss["_build_out"])
    if job is None:
        ss.pop("_build_out")
        return
    in_place = view is not None and job.out == Path(view.run.path).resolve()
    ok = follow_build(job, f"{'Rebuilding' if in_place else 'Building'} run {job.out.name}")
    workspace.forget_build(job)
    ss.pop("_build_out")
    if ok and job.path is not None:
        (ss.get(UNREADABLE) or {}).pop(str(job.path), None)  # a damaged run rebuilt under its name is whole again
        ss[RUN_KEY] = str(job.path)
        ss.pop("confirm_rebuild", None)
        done = "Rebuilt run {} in place" if in_place else "Built and opened run {}"
        flash(f"{done.format(markdown_literal(job.path.name))} in {job.elapsed:.0f} s.")
        st.rerun()


if st.button("Build run", type="primary", icon=":material/play_arrow:", key="build",
             disabled=bool(ss.get("_build_out"))):
    start()
if ss.get("_build_out"):
    follow()
