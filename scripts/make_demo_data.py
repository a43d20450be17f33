"""Regenerate the demo data in data/: the Daily Papers archive as Parquet, its embeddings, the demo build's state.

    python scripts/make_demo_data.py [--shared ../shared/data] [--skip-embeddings] [--state-only]

The embeddings are what the bundled model produces with the default
settings (analysis.config.EmbedConfig); tests/test_demo_data.py checks a
sample of them against the model, so they cannot silently drift.

The state (data/demo_state/) is what the default demo build computes on top
of those vectors and would otherwise compute on every fresh machine: the
keyword and theme vectors (the model's, in one shard) and the two UMAP
results (reduction cache entries). It is made by running that build into an
empty cache and keeping what it wrote there, so it is exactly the pipeline's
own output; tests/test_demo_state.py builds the demo without it and compares.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from analysis.config import DATA_DIR, DEMO_CORPUS, DEMO_EMBEDDINGS, DEMO_STATE, SEED_PAGE, EmbedConfig

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(shared: Path) -> None:
    import pandas as pd

    files = sorted((shared / "hf_daily_papers").glob("*.jsonl"))
    frame = pd.concat([pd.read_json(f, lines=True, dtype={"arxiv_id": str}) for f in files], ignore_index=True)
    for col in ("arxiv_id", "featured_date", "arxiv_published_at"):
        frame[col] = frame[col].astype(str)
    frame.to_parquet(DEMO_CORPUS, index=False, compression="zstd")
    shutil.copy(shared / "daily_papers_page.txt", SEED_PAGE)
    print(f"wrote {DEMO_CORPUS} ({len(frame)} papers) and {SEED_PAGE}")


def make_embeddings() -> None:
    import numpy as np

    from analysis.corpus import load_corpus
    from analysis.embed import EmbeddingCache, SentenceEmbedder, text_key

    corpus = load_corpus([DEMO_CORPUS])
    embedder = SentenceEmbedder.from_config(EmbedConfig())
    texts = corpus.texts
    vectors = embedder.encode(texts, show_bar=True)
    target = DEMO_EMBEDDINGS / embedder.model_id
    shutil.rmtree(DEMO_EMBEDDINGS, ignore_errors=True)
    target.mkdir(parents=True)
    keys = [text_key(embedder.model_id, t) for t in texts]
    shard = EmbeddingCache(DEMO_EMBEDDINGS).store(embedder.model_id, keys, np.asarray(vectors))
    final = shard.parent.parent.parent / embedder.model_id / "shard-demo.npz"
    final.parent.mkdir(parents=True, exist_ok=True)
    shard.rename(final)
    final.chmod(0o644)
    shutil.rmtree(DEMO_EMBEDDINGS / "embeddings", ignore_errors=True)
    print(f"wrote {final} ({len(keys)} vectors)")


def make_state() -> None:
    import os
    import tempfile

    import numpy as np

    from analysis.embed import KEY_BYTES, EmbeddingCache
    from analysis.run import build

    os.environ["PAPERTOPICS_NO_SHIPPED_STATE"] = "1"  # computed afresh, never copied from the old state
    with tempfile.TemporaryDirectory() as tmp:
        result = build([DEMO_CORPUS], cache_dir=tmp)
        assert result.meta["counts"]["embedded_new"] == 0, "the demo vectors in data/embeddings are stale"
        shutil.rmtree(DEMO_STATE, ignore_errors=True)
        model_id = result.meta["model"]["model_id"]
        keys = []
        for shard in (Path(tmp) / "embeddings" / model_id).glob("shard-*.npz"):
            with np.load(shard, allow_pickle=False) as z:
                keys.extend(k.ljust(KEY_BYTES, b"\x00") for k in z["keys"].tolist())
        keys = list(dict.fromkeys(keys))
        found = EmbeddingCache(tmp).lookup(model_id, keys)  # a key stored twice: the vector the build read
        shard = EmbeddingCache(DEMO_STATE).store(model_id, keys, np.vstack([found[k] for k in keys]))
        final = shard.rename(shard.parent / "shard-demo-state.npz")
        reduced = DEMO_STATE / "reduced"
        shutil.copytree(Path(tmp) / "reduced", reduced)
    for path in [final, *reduced.glob("*.npz")]:
        path.chmod(0o644)
    print(f"wrote {final} ({len(keys)} keyword and theme vectors) and {len(list(reduced.glob('*.npz')))} "
          f"UMAP results in {reduced}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-embeddings", action="store_true")
    parser.add_argument("--state-only", action="store_true", help="only data/demo_state (from the shipped vectors)")
    args = parser.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    if not args.state_only:
        make_corpus(args.shared)
        if not args.skip_embeddings:
            make_embeddings()
    make_state()


if __name__ == "__main__":
    main()
