"""Extraction speed: notes per second on one core, over a folder of notes; with ``--shapes``, the
time one large note of each shape takes (a long table, a sentence naming one person thousands of
times, a table thousands of columns wide), which must grow about as the note does, not as its square.

python bench/extract_bench.py ../shared/corpus/notes --rounds 5
python bench/extract_bench.py --shapes
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from contextgraph.notes.extract import extract
from contextgraph.notes.parse import read_note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--shapes", action="store_true", help="time large notes of odd shapes instead")
    args = ap.parse_args()
    if args.shapes or args.folder is None:
        return shapes()
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


HEAD = "# MACE – East\nDate: 14/03/2024\n\n"


def _table(rows: int, cols: int = 4) -> str:
    head = "| " + " | ".join(f"col{i}" for i in range(cols)) + " |\n|" + "---|" * cols + "\n"
    cells = lambda r: [f"Child{r} Name{r} (14)", f"{r} Mill Road", "seen", "03/02/2024"] + ["x"] * (cols - 4)  # noqa: E731
    return HEAD + head + "".join("| " + " | ".join(cells(r)) + " |\n" for r in range(rows))


def shapes() -> None:
    """Each shape at two sizes: the second twice the first."""
    made = {
        "table, rows": (_table(500), _table(1000)),
        "one name repeated": tuple(
            HEAD + "- Jordan Pike (14) was seen with " + "Jordan Pike, " * n + "at the park.\n" for n in (2000, 4000)
        ),
        "table, columns": (_table(3, 1000), _table(3, 2000)),
    }
    for name, pair in made.items():
        times = []
        for text in pair:
            t = time.perf_counter()
            extract(text)
            times.append(time.perf_counter() - t)
        sizes = ", ".join(f"{len(x) / 1024:.0f} KB {s:.2f} s" for x, s in zip(pair, times, strict=True))
        print(f"{name}: {sizes} (twice the note: x{times[1] / times[0]:.1f} the time)")


if __name__ == "__main__":
    main()
