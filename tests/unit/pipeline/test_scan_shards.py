"""Scan workers split the new objects between them: each key is registered by exactly one."""

from __future__ import annotations

from eventlens.sources.sync import in_shard

KEYS = [f"events/e/originals/day{i % 3}/IMG_{i:04d}.jpg" for i in range(600)]


def test_every_key_belongs_to_exactly_one_of_the_workers() -> None:
    for workers in (1, 2, 3, 8, 24):
        owners = [[w for w in range(1, workers + 1) if in_shard(key, (w, workers))] for key in KEYS]
        assert all(len(o) == 1 for o in owners), workers


def test_shares_are_even_enough_that_no_worker_gets_twice_its_part() -> None:
    workers = 8
    counts = [sum(in_shard(key, (w, workers)) for key in KEYS) for w in range(1, workers + 1)]
    assert max(counts) < 2 * len(KEYS) / workers
    assert min(counts) > 0


def test_a_lone_batch_takes_every_key() -> None:
    assert all(in_shard(key, None) for key in KEYS)
