"""Benchmark the build_datasets pipeline on a generated corpus with planted duplicates.

For each N (default 1,000 and 10,000 pages): writes N pages of distinct C64-style prose as
PDFs of 50 pages (plus an HTML file per 500 pages), of which 3 % are exact reprints and 3 %
near reprints (another first line and three words changed) of other pages; runs every stage
in this process with OCR off; prints pages/second per stage and for the whole pipeline, the
time ratio between the sizes, and recall and precision on the planted duplicates, with
PASS/MISS against the targets (>= 300 pages/s at the largest N, 10x pages <= 12x time,
recall and precision >= 0.99).

Run: python bench/bench_datasets.py [--pages 1000 10000] [--workers 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
from fpdf import FPDF

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from c64ft.console import ConsoleContext  # noqa: E402
from core.kinds.build_datasets.runner import run  # noqa: E402
from core.kinds.build_datasets.spec import STAGES, BuildDatasetsSpec  # noqa: E402
from core.tiny_model import build_tokenizer  # noqa: E402

PAGES_PER_PDF = 50
WORDS = [
    "raster",
    "sprite",
    "border",
    "colour",
    "register",
    "voice",
    "filter",
    "envelope",
    "kernal",
    "routine",
    "basic",
    "poke",
    "memory",
    "bank",
    "timer",
    "keyboard",
    "joystick",
    "screen",
    "character",
    "pointer",
    "vector",
    "interrupt",
    "cycle",
    "latch",
    "pulse",
    "attack",
    "decay",
    "sustain",
    "release",
    "cutoff",
    "resonance",
    "matrix",
    "port",
    "data",
    "direction",
    "scroll",
    "bitmap",
    "multicolour",
    "priority",
    "collision",
    "expansion",
    "enable",
    "clear",
    "shift",
    "load",
    "save",
    "device",
    "channel",
    "buffer",
    "stack",
    "accumulator",
    "index",
    "carry",
    "overflow",
    "zero",
    "page",
    "jump",
    "return",
    "branch",
    "compare",
    "increment",
    "decrement",
    "rotate",
]


def page_text(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(12, 18)):
        words = rng.choices(WORDS, k=rng.randint(8, 14))
        sentences.append(
            " ".join(words).capitalize() + f" at ${rng.randrange(0xD000, 0xDFFF):04X}."
        )
    return f"Section {rng.randrange(1000)}\n" + " ".join(sentences)


def plan_corpus(pages: int, seed: int) -> tuple[list[list[str]], list[tuple[int, int, str]]]:
    """Documents as lists of page texts; planted (copy page, original page, kind) by index."""
    rng = random.Random(seed)
    planted_count = int(pages * 0.06)
    originals = [page_text(rng) for _ in range(pages - planted_count)]
    texts, planted = list(originals), []
    for n, source in enumerate(rng.sample(range(len(originals)), planted_count)):
        copy = originals[source]
        if n % 2:
            words = copy.split(" ")
            for i in rng.sample(range(3, len(words)), 3):
                words[i] = "changed"
            copy = "Reprinted with permission\n" + " ".join(words)
            planted.append((len(texts), source, "near"))
        else:
            planted.append((len(texts), source, "exact"))
        texts.append(copy)
    documents = [texts[i : i + PAGES_PER_PDF] for i in range(0, len(texts), PAGES_PER_PDF)]
    return documents, planted


def write_pdf(args: tuple[Path, list[str]]) -> None:
    path, pages = args
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=8)
    for number, text in enumerate(pages, 1):
        pdf.add_page()
        pdf.cell(0, 5, "Commodore 64 Reference Notes", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 3.6, text)
        pdf.set_y(-12)
        pdf.cell(0, 5, f"Page {number}")
    pdf.output(str(path))


def write_corpus(workspace: Path, pages: int, seed: int) -> dict[tuple[str, int], tuple]:
    """Writes the corpus; returns planted copies as (file, page) -> ((file, page), kind)."""
    documents, planted = plan_corpus(pages, seed)
    source = workspace / "c64_docs"
    source.mkdir(parents=True)
    names = [f"manual{d:04d}.pdf" for d in range(len(documents))]
    with ProcessPoolExecutor() as pool:
        list(pool.map(write_pdf, [(source / n, d) for n, d in zip(names, documents, strict=True)]))
    where = {i: (names[i // PAGES_PER_PDF], i % PAGES_PER_PDF + 1) for i in range(pages)}
    return {where[copy]: (where[original], kind) for copy, original, kind in planted}


def measure(pages: int, workers: int, seed: int, keep: Path | None) -> dict:
    workspace = Path(tempfile.mkdtemp(prefix=f"c64ft-bench-{pages}-"))
    try:
        planted = write_corpus(workspace, pages, seed)
        model = workspace / "models/tok"
        model.mkdir(parents=True)
        tokenizer = build_tokenizer([page_text(random.Random(i)) for i in range(200)])
        tokenizer.save_pretrained(str(model))
        spec = BuildDatasetsSpec(
            kind="build_datasets",
            model_path="models/tok",
            allow_ocr=False,
            workers=workers,
            min_dapt_chunks=0,
            min_sft_examples=0,
            strict_thinking_contract=False,
        )
        os.environ["C64FT_WORKSPACE"] = str(workspace)
        started = time.perf_counter()
        result = run(spec, ConsoleContext(workspace=workspace))
        total = time.perf_counter() - started
        found = pq.read_table(workspace / "data/processed/duplicates.parquet").to_pylist()
        pairs = {
            frozenset(
                [
                    (d["source_file"], d["page_number"]),
                    (d["duplicate_of_source_file"], d["duplicate_of_page_number"]),
                ]
            )
            for d in found
        }
        truth = {frozenset([copy, original]) for copy, (original, _) in planted.items()}
        hits = len(pairs & truth)
        return {
            "pages": result["checks"]["total_pages"],
            "seconds": total,
            "stages": result["stage_seconds"],
            "recall": hits / len(truth),
            "precision": hits / len(pairs) if pairs else 1.0,
        }
    finally:
        if keep:
            shutil.copytree(workspace, keep / workspace.name)
        shutil.rmtree(workspace, ignore_errors=True)


def report(results: list[dict]) -> bool:
    print(f"\n{'stage':<12}" + "".join(f"{r['pages']:>16,} pages" for r in results))
    for stage in STAGES:
        cells = [
            f"{r['stages'][stage]:8.2f} s {r['pages'] / r['stages'][stage]:>7,.0f}/s"
            for r in results
        ]
        print(f"{stage:<12}" + "".join(f"{c:>22}" for c in cells))
    print(
        f"{'whole':<12}"
        + "".join(
            f"{r['seconds']:8.2f} s {r['pages'] / r['seconds']:>7,.0f}/s".rjust(22) for r in results
        )
    )
    largest, smallest = results[-1], results[0]
    rate = largest["pages"] / largest["seconds"]
    scale = largest["pages"] / smallest["pages"]
    ratio = largest["seconds"] / smallest["seconds"]
    checks = [
        (f"whole pipeline at {largest['pages']:,} pages: {rate:,.0f} pages/s >= 300", rate >= 300),
        (
            f"{scale:.0f}x the pages costs {ratio:.1f}x the time <= {1.2 * scale:.0f}x",
            ratio <= 1.2 * scale or len(results) == 1,
        ),
    ]
    for r in results:
        quality = f"recall {r['recall']:.4f}, precision {r['precision']:.4f}"
        checks.append(
            (f"N={r['pages']:,}: {quality} >= 0.99", min(r["recall"], r["precision"]) >= 0.99)
        )
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, default=0, help="0 = one per core")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="copy each workspace here")
    args = parser.parse_args()
    results = [measure(n, args.workers, args.seed, args.keep) for n in sorted(args.pages)]
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()
