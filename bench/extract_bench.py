"""Extraction speed: notes per second on one core, over a folder of notes.

python bench/extract_bench.py ../shared/corpus/notes --rounds 5
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from contextgraph.notes.extract import extract
from contextgraph.notes.parse import read_note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    texts = [(str(p), read_note(p)) for p in sorted(args.folder.glob("*.md")) if not p.name.startswith("README")]
    for path, text in texts:  # warm-up: compiled patterns
        extract(text, path)
    best = float("inf")
    for _ in range(args.rounds):
        t = time.perf_counter()
        for path, text in texts:
            extract(text, path)
        best = min(best, time.perf_counter() - t)
    chars = sum(len(t) for _, t in texts)
    print(
        f"{len(texts)} notes ({chars:,} characters): best of {args.rounds} rounds {best:.3f} s, "
        f"{len(texts) / best:.0f} notes/s on one core"
    )


if __name__ == "__main__":
    main()
