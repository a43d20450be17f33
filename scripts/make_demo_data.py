"""Regenerate the demo data in data/: the Daily Papers archive as Parquet and its embeddings.

    python scripts/make_demo_data.py [--shared ../shared/data] [--skip-embeddings]

The embeddings are what the bundled model produces with the default
settings (analysis.config.EmbedConfig); tests/test_demo_data.py checks a
sample of them against the model, so they cannot silently drift.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from analysis.config import DATA_DIR, DEMO_CORPUS, DEMO_EMBEDDINGS, SEED_PAGE, EmbedConfig

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-embeddings", action="store_true")
    args = parser.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    make_corpus(args.shared)
    if not args.skip_embeddings:
        make_embeddings()


if __name__ == "__main__":
    main()
