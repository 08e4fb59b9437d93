"""The clustering rule itself, on arrays: no SQL, so the benchmark runs exactly what the service does.

Incremental nearest-neighbour voting: each new face looks at the `k` most similar faces already
clustered (similarity >= threshold); the clusters among them vote with their summed similarity,
and the face joins the winner, or starts a new cluster when none qualifies. A cluster already
holding another face of the same photo cannot win (a person appears once per photo). Earlier
assignments never move, so an organizer's merges and splits stand as photos keep arriving.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

K = 10
"""Neighbours that vote."""


def assign(
    known: np.ndarray,
    known_labels: Sequence[int],
    known_photos: Sequence[Hashable],
    new: np.ndarray,
    new_photos: Sequence[Hashable],
    threshold: float,
    k: int = K,
) -> list[int]:
    """The label of each row of `new` (L2-normalised, like `known`); a label >= max(known)+1 is a
    new cluster. Rows are taken in order; each one assigned becomes a neighbour for the next."""
    n, m = len(known_labels), len(new_photos)
    dim = new.shape[1] if m else (known.shape[1] if n else 0)
    vectors = np.empty((n + m, dim), np.float32)
    if n:
        vectors[:n] = known
    labels = np.empty(n + m, np.int64)
    labels[:n] = np.asarray(known_labels, np.int64)
    in_photo: dict[Hashable, set[int]] = {}
    for photo, label in zip(known_photos, known_labels, strict=True):
        in_photo.setdefault(photo, set()).add(int(label))
    next_label = int(labels[:n].max()) + 1 if n else 0
    out: list[int] = []
    for i in range(m):
        face = new[i]
        size = n + i
        chosen = -1
        if size:
            sims = vectors[:size] @ face
            near = np.flatnonzero(sims >= threshold)
            if near.size:
                if near.size > k:
                    near = near[np.argpartition(-sims[near], k)[:k]]
                taken = in_photo.get(new_photos[i], set())
                votes: dict[int, float] = {}
                for j in near:
                    label = int(labels[j])
                    if label not in taken:
                        votes[label] = votes.get(label, 0.0) + float(sims[j])
                if votes:
                    chosen = max(votes.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        if chosen < 0:
            chosen = next_label
            next_label += 1
        vectors[size] = face
        labels[size] = chosen
        in_photo.setdefault(new_photos[i], set()).add(chosen)
        out.append(chosen)
    return out


def pairwise_scores(truth: Sequence[Hashable], predicted: Sequence[int]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against labels (pairs of faces put together)."""
    together_true = together_pred = both = 0
    for i in range(len(truth)):
        for j in range(i + 1, len(truth)):
            same_true = truth[i] == truth[j]
            same_pred = predicted[i] == predicted[j]
            together_true += same_true
            together_pred += same_pred
            both += same_true and same_pred
    precision = both / together_pred if together_pred else 1.0
    recall = both / together_true if together_true else 1.0
    return precision, recall
