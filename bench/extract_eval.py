"""Evaluate the commitment extractor on a labelled JSON lines file.

    python bench/extract_eval.py FILE.jsonl

Each line: {"author": "seller"|"buyer", "text": ..., "expect": [{"party": ..., "rung": ...}]}.
Prints buyer precision, recall and F1 (a match needs party and rung right), seller precision
and recall, the share of sentences read exactly right, and sentences per second on one core.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from dealgate.extract import extract

WRITTEN = date(2026, 11, 27)


def _key(item: dict[str, Any]) -> tuple[str, str | None]:
    return item["party"], item.get("rung") if item["party"] == "buyer" else None


def evaluate(rows: list[dict[str, Any]], verbose: bool = False) -> dict[str, Any]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    exact = 0
    for row in rows:
        got = Counter(
            _key(c.to_dict()) for c in extract(row["text"], row.get("author", "seller"), WRITTEN)
        )
        want = Counter(_key(e) for e in row["expect"])
        for key in got | want:
            party = key[0]
            hit = min(got[key], want[key])
            tp[party] += hit
            fp[party] += got[key] - hit
            fn[party] += want[key] - hit
        if got == want:
            exact += 1
        elif verbose:
            print(
                f"MISS {row.get('id', '')}: {row['text']!r} got {dict(got)} want {dict(want)}",
                file=sys.stderr,
            )

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    bp, br = (
        ratio(tp["buyer"], tp["buyer"] + fp["buyer"]),
        ratio(tp["buyer"], tp["buyer"] + fn["buyer"]),
    )
    return {
        "sentences": len(rows),
        "buyer_precision": bp,
        "buyer_recall": br,
        "buyer_f1": round(2 * bp * br / (bp + br), 4) if bp + br else 0.0,
        "seller_precision": ratio(tp["seller"], tp["seller"] + fp["seller"]),
        "seller_recall": ratio(tp["seller"], tp["seller"] + fn["seller"]),
        "exact_sentences": ratio(exact, len(rows)),
    }


def speed(rows: list[dict[str, Any]], seconds: float = 1.0) -> float:
    texts = [(r["text"], r.get("author", "seller")) for r in rows]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text, author in texts:
            extract(text, author, WRITTEN)
        done += len(texts)
    return round(done / (time.perf_counter() - start))


def load_time() -> float:
    """Seconds a fresh interpreter takes to import the full extractor."""
    code = (
        "import time; t = time.perf_counter(); import dealgate.extract; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the commitment extractor.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--verbose", action="store_true", help="print every sentence missed")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
    load_s = load_time()
    figures = evaluate(rows, args.verbose)
    figures["sentences_per_second"] = speed(rows)
    figures["load_s"] = round(load_s, 3)
    for name, value in figures.items():
        print(f"{name:>22}: {value}")
    print(json.dumps({"file": str(args.file), **figures}))


if __name__ == "__main__":
    main()
