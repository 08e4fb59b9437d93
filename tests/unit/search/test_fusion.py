"""Fusion of modality scores and keyset paging over the fused list."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventlens.search.fusion import Candidate, drop_weak_meanings, fuse, page


def uid(n: int) -> UUID:
    return UUID(int=n)


def test_weighted_fusion_adds_the_seed_weights():
    (ranked,) = fuse([Candidate(uid(1), fulltext=0.5, trigram=0.2, semantic=0.4)], "weighted")
    assert ranked.score == pytest.approx(10 * 0.5 + 5 * 0.2 + 20 * 0.4)
    assert ranked.modalities == ["fulltext", "trigram", "semantic"]


def test_rrf_rewards_agreement_between_modalities_over_one_strong_score():
    candidates = [
        Candidate(uid(1), semantic=0.9),
        Candidate(uid(2), fulltext=0.1, trigram=0.6, semantic=0.35),
    ]
    assert [r.candidate.id for r in fuse(candidates, "rrf")] == [uid(2), uid(1)]


def test_rrf_ignores_score_scale_and_uses_ranks():
    small = [Candidate(uid(1), fulltext=0.02), Candidate(uid(2), fulltext=0.01)]
    large = [Candidate(uid(1), fulltext=20.0), Candidate(uid(2), fulltext=10.0)]
    assert [r.score for r in fuse(small, "rrf")] == [r.score for r in fuse(large, "rrf")]


def test_candidates_that_matched_nothing_are_cut():
    assert fuse([Candidate(uid(1))], "weighted") == []
    assert fuse([Candidate(uid(1))], "rrf") == []


def test_ties_are_broken_by_id_so_order_is_stable():
    candidates = [
        Candidate(uid(3), trigram=0.5),
        Candidate(uid(1), trigram=0.5),
        Candidate(uid(2), trigram=0.5),
    ]
    assert [r.candidate.id for r in fuse(candidates, "weighted")] == [uid(1), uid(2), uid(3)]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([Candidate(uid(1), fulltext=1.0)], "sum")  # type: ignore[arg-type]


def test_pages_cover_every_result_once_in_order():
    ranked = fuse([Candidate(uid(i), semantic=i / 10) for i in range(1, 8)], "weighted")
    seen, after = [], None
    while True:
        chunk, after = page(ranked, 3, after)
        seen += chunk
        if after is None:
            break
    assert seen == ranked


def test_last_page_has_no_next_cursor():
    ranked = fuse([Candidate(uid(1), fulltext=1.0), Candidate(uid(2), fulltext=0.5)], "weighted")
    chunk, after = page(ranked, 2)
    assert len(chunk) == 2
    assert after is None


def test_default_rule_keeps_a_lone_typo_match_near_the_top_of_semantic_near_misses():
    # Measured by benchmarks/search_relevance.py ("Harvrd"): the only photos matching a typo by
    # trigram (0.57) sank below every weak semantic match (cosine ~0.35) under the seed's weights.
    candidates = [Candidate(uid(100), trigram=0.57)]
    candidates += [Candidate(uid(i), semantic=0.36 - i / 1000) for i in range(1, 21)]
    assert uid(100) in [r.candidate.id for r in fuse(candidates)][:2]
    assert [r.candidate.id for r in fuse(candidates, "weighted")][-1] == uid(100)


def test_a_meaning_alone_far_under_the_best_meaning_is_dropped():
    banner = Candidate(uuid4(), fulltext=0.58, trigram=1.0, semantic=0.64)
    rocket = Candidate(uuid4(), semantic=0.44)  # "KEYNOTE" vs "Photo of rocket ... in folder 'Expo'"
    assert drop_weak_meanings([banner, rocket], floor=0.3, margin=0.1) == [banner]


def test_a_meaning_alone_near_the_best_or_backed_by_words_is_kept():
    cat = Candidate(uuid4(), semantic=0.30)  # "pet": the cat is the query's best meaning
    dog = Candidate(uuid4(), semantic=0.25)
    worded = Candidate(uuid4(), fulltext=0.1, semantic=0.05)
    assert drop_weak_meanings([cat, dog, worded], floor=0.3, margin=0.1) == [cat, worded]
    assert drop_weak_meanings([], floor=0.3, margin=0.1) == []
