"""Train/validation/test by document (never a document in two splits), stable for a seed."""

import hashlib
from collections.abc import Iterable

from core.pipeline.files import SPLITS

SHARES = {"validation": 0.1, "test": 0.1}  # the rest is train


def assign_splits(doc_ids: Iterable[str], seed: int) -> dict[str, str]:
    """doc_id → split. The order is a hash of (seed, doc_id), so a seed always gives the same
    split; validation and test get at least one document each once there are three."""
    order = sorted(set(doc_ids), key=lambda d: hashlib.sha256(f"{seed}:{d}".encode()).digest())
    sizes = {
        split: max(1 if len(order) >= 3 else 0, round(share * len(order)))
        for split, share in SHARES.items()
    }
    assignment, start = {}, 0
    for split in ("test", "validation"):
        for doc_id in order[start : start + sizes[split]]:
            assignment[doc_id] = split
        start += sizes[split]
    for doc_id in order[start:]:
        assignment[doc_id] = "train"
    assert set(assignment.values()) <= set(SPLITS)
    return assignment
