"""Stage `dedup`: exact and near-duplicate pages removed, the best-quality copy kept.

Exact: the same words after normalization (case and spacing aside). Near: MinHash signatures of
word 3-shingles, candidates from LSH banding (no all-pairs comparison), each candidate pair
confirmed by its exact Jaccard similarity. `duplicates.parquet` says what was dropped and which
page it duplicates; it is written to output_dir and, for the original workflow's users, to
`<interim_dir>/dedup/duplicates.parquet` (its location), a folder published like dapt/ and sft/.
The original found exact duplicates only; MinHash is kept deliberately: it finds reprints.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from datasketch import LeanMinHash, MinHash, MinHashLSH

from core.pipeline.extract import SCHEMA
from core.pipeline.files import PipelinePaths, read_rows, write_table
from core.pipeline.normalize import NORMALIZED
from core.pipeline.parallel import ordered_map, worker_count
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker
from core.publish import publishing_dir

DEDUPED = "deduped.parquet"
DUPLICATES = "duplicates.parquet"
DEDUP_FOLDER = "dedup"  # under interim_dir: where the original workflow wrote duplicates.parquet
SHINGLE_WORDS = 3
NUM_PERM = 128
MINHASH_SEED = 1
SCHEME = "affine32"  # datasketch's default; stated so stored signatures stay comparable
BATCH = 256
CANDIDATE_FACTOR = 0.75


@dataclass(frozen=True)
class DedupSettings:
    near_dup_threshold: float
    workers: int = field(default=0, metadata={"fingerprint": False})  # speed, not output


DUPLICATES_SCHEMA = pa.schema(
    [
        ("id", pa.string()),  # `<doc_id>:p<page>`, the original's page id
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("page_number", pa.int32()),
        ("duplicate_of", pa.string()),  # the kept page's id, the original's column
        ("duplicate_of_doc_id", pa.string()),
        ("duplicate_of_source_file", pa.string()),
        ("duplicate_of_page_number", pa.int32()),
        ("match", pa.string()),
        ("similarity", pa.float32()),
    ]
)


def words(text: str) -> str:
    """The text as compared: case and spacing aside."""
    return " ".join(text.casefold().split())


def shingles(text: str) -> set[bytes]:
    words = text.casefold().split()
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words).encode()}
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def signatures(texts: list[str]) -> np.ndarray:
    """MinHash signatures (one row per text); runs in a worker process."""
    hashes = MinHash.bulk(
        (list(shingles(text)) for text in texts),
        num_perm=NUM_PERM,
        seed=MINHASH_SEED,
        scheme=SCHEME,
    )
    return np.stack([h.hashvalues for h in hashes])


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class Clusters:
    """Union-find over page indices."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _exact_groups(pages: list[dict], clusters: Clusters) -> list[int]:
    """Join pages with the same words; returns one representative index per distinct text."""
    first: dict[bytes, int] = {}
    for i, page in enumerate(pages):
        key = hashlib.blake2b(words(page["text"]).encode()).digest()
        if key in first:
            clusters.union(i, first[key])
        else:
            first[key] = i
    return list(first.values())


def _lean(signature: np.ndarray) -> LeanMinHash:
    return LeanMinHash(seed=MINHASH_SEED, hashvalues=signature, scheme=SCHEME)


def _near_pairs(
    pages: list[dict], representatives: list[int], sigs: np.ndarray, threshold: float
) -> list[tuple[int, int, float]]:
    """Confirmed near-duplicate pairs among the representatives: (i, j, jaccard)."""
    # LSH is probabilistic: ask it for candidates well below the threshold so that pairs just
    # above it are not missed; the exact Jaccard check below keeps precision.
    lsh = MinHashLSH(threshold=threshold * CANDIDATE_FACTOR, num_perm=NUM_PERM)
    for row, i in enumerate(representatives):
        lsh.insert(i, _lean(sigs[row]))
    cache: dict[int, set[bytes]] = {}

    def shingles_of(i: int) -> set[bytes]:
        if i not in cache:
            cache[i] = shingles(pages[i]["text"])
        return cache[i]

    pairs = []
    for row, i in enumerate(representatives):
        for j in lsh.query(_lean(sigs[row])):
            if j > i and (sim := jaccard(shingles_of(i), shingles_of(j))) >= threshold:
                pairs.append((i, j, sim))
    return pairs


def _best(pages: list[dict], members: list[int]) -> int:
    # Highest quality, then the longest text; ties go to the first page in corpus order.
    return max(members, key=lambda i: (pages[i]["quality"], len(pages[i]["text"]), -i))


def find_duplicates(
    pages: list[dict], threshold: float, *, workers: int, on_done
) -> tuple[list[int], list[dict[str, Any]]]:
    """Indices of the pages to keep, and one record per page dropped."""
    clusters = Clusters(len(pages))
    representatives = _exact_groups(pages, clusters)
    batches = [
        [pages[i]["text"] for i in representatives[s : s + BATCH]]
        for s in range(0, len(representatives), BATCH)
    ]
    parts = ordered_map(signatures, batches, workers=workers, on_done=on_done)
    sigs = np.concatenate(parts) if parts else np.empty((0, NUM_PERM))
    near = {}
    for i, j, sim in _near_pairs(pages, representatives, sigs, threshold):
        clusters.union(i, j)
        near[(i, j)] = near[(j, i)] = sim
    members: dict[int, list[int]] = {}
    for i in range(len(pages)):
        members.setdefault(clusters.find(i), []).append(i)
    keep, dropped = [], []
    for group in members.values():
        best = _best(pages, group)
        keep.append(best)
        dropped += [_record(pages, i, best, near) for i in group if i != best]
    return sorted(keep), dropped


def page_id(page: dict[str, Any]) -> str:
    """A page's id in the original workflow's form."""
    return f"{page['doc_id']}:p{page['page_number']}"


def _record(pages: list[dict], i: int, kept: int, near: dict) -> dict[str, Any]:
    page, original = pages[i], pages[kept]
    same_words = words(page["text"]) == words(original["text"])
    similarity = 1.0 if same_words else near.get((i, kept))
    if similarity is None:  # joined through a third page
        similarity = jaccard(shingles(page["text"]), shingles(original["text"]))
    return {
        "id": page_id(page),
        "doc_id": page["doc_id"],
        "source_file": page["source_file"],
        "page_number": page["page_number"],
        "duplicate_of": page_id(original),
        "duplicate_of_doc_id": original["doc_id"],
        "duplicate_of_source_file": original["source_file"],
        "duplicate_of_page_number": original["page_number"],
        "match": "exact" if same_words else "near",
        "similarity": round(similarity, 4),
    }


class Deduplicator(PipelineStep):
    name = "dedup"
    settings: DedupSettings

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(NORMALIZED)]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [
            paths.output_dir / DUPLICATES,
            paths.interim(DEDUP_FOLDER),
            paths.interim(DEDUPED),
        ]

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        pages = read_rows(paths.interim(NORMALIZED), "normalize")
        keep, dropped = find_duplicates(
            pages,
            self.settings.near_dup_threshold,
            workers=worker_count(self.settings.workers),
            on_done=lambda done: tracker.advance(min(done * BATCH, len(pages)), len(pages)),
        )
        write_table(paths.output_dir / DUPLICATES, dropped, DUPLICATES_SCHEMA)
        with publishing_dir(paths.interim(DEDUP_FOLDER), kind="build_datasets") as folder:
            write_table(folder / DUPLICATES, dropped, DUPLICATES_SCHEMA)
        write_table(paths.interim(DEDUPED), [pages[i] for i in keep], SCHEMA)
        for record in dropped:
            self.drop(f"{record['match']}_duplicate")
        return {
            "pages_in": len(pages),
            "dedup_pages": len(keep),
            "duplicates_removed": len(dropped),
            "exact_duplicates": sum(d["match"] == "exact" for d in dropped),
            "near_duplicates": sum(d["match"] == "near" for d in dropped),
        }
