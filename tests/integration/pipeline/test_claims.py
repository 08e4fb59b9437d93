"""Claims: concurrent workers each take exactly what they ask for, never the same photo."""

from __future__ import annotations

import threading

from eventlens.pipeline import repo
from eventlens.scope import Scope


def test_concurrent_workers_claim_disjoint_batches_of_the_size_they_ask(make_event, owner_conn) -> None:
    event = make_event("claims")
    for i in range(40):
        owner_conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename) VALUES (%s, %s, %s, %s)",
            (event.id, f"events/claims/originals/{i}.jpg", f"h{i}", f"{i}.jpg"),
        )
    scope = Scope.pipeline(event)
    start = threading.Barrier(6)
    claimed: list[list[object]] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        with scope.transaction() as tx:
            rows = repo.claim(tx, "analyze", 5)
        with lock:
            claimed.append([r.id for r in rows])

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(len(batch) for batch in claimed) == [5] * 6  # a LIMIT never claims more (or less)
    every = [pid for batch in claimed for pid in batch]
    assert len(set(every)) == 30  # no photo claimed twice
    with scope.transaction() as tx:
        assert repo.count_remaining(tx, "analyze") == 40  # 30 in flight + 10 pending
        assert len(repo.claim(tx, "analyze", 100)) == 10
