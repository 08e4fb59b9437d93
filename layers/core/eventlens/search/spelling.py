"""Did-you-mean from the event's own words, for queries that no word or spelling matched.

Trigrams catch most typos ("Harvrd"), but not short or compound ones: "dukbot" shares only half
its trigrams with "DuckBot" (0.50, under the 0.52 bar that keeps "banana" off "banquet"), and
"duk bot" or "duk robot" split what the badge writes as one word. Here the query's words, and
each pair of neighbours joined, are matched by edit distance against the words the event's
photos carry, CamelCase parts included ("duck" and "bot" lead to "DuckBot"). Only words of the
event are ever suggested, so a nonsense query still finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

MIN_LENGTH = 3
"""Shorter words are never corrected (too many neighbours one letter away)."""


def vocabulary(texts: Iterable[str]) -> dict[str, str]:
    """Lower-case word or CamelCase part -> the word as the photos write it ("duck" -> "DuckBot")."""
    words: dict[str, str] = {}
    for text in texts:
        for word in _WORD.findall(text):
            if len(word) < MIN_LENGTH:
                continue
            words.setdefault(word.lower(), word)
            for part in _CAMEL.findall(word):
                if len(part) >= MIN_LENGTH and part.lower() != word.lower():
                    words.setdefault(part.lower(), word)
    return words


def correct(query: str, words: dict[str, str]) -> str | None:
    """The query in the event's words, or None when nothing was corrected.

    Neighbouring words are first tried joined ("duk bot" -> "DuckBot"); a word with no close
    match is left out once another was corrected ("duk robot" -> "DuckBot").
    """
    tokens = [t.lower() for t in _WORD.findall(query)]
    out: list[str] = []
    corrected = False
    i = 0
    while i < len(tokens):
        joined = tokens[i] + tokens[i + 1] if i + 1 < len(tokens) else None
        match = _closest(joined, words) if joined else None
        if match is not None:
            out.append(match)
            corrected = True
            i += 2
            continue
        token = tokens[i]
        if token in words:
            out.append(token)
        elif (match := _closest(token, words)) is not None:
            out.append(match)
            corrected = True
        i += 1
    if not corrected:
        return None
    return " ".join(dict.fromkeys(out))


def _closest(token: str, words: dict[str, str]) -> str | None:
    """The event word nearest `token` within its allowance: one edit up to 7 letters, two beyond;
    up to 4 letters only a missing, extra or swapped letter ("duk" -> "duck", never "cap" -> "cat")."""
    if len(token) < MIN_LENGTH:
        return None
    if token in words:
        return words[token]
    allowed = 1 if len(token) <= 7 else 2
    best: tuple[int, str] | None = None
    for word, written in words.items():
        if abs(len(word) - len(token)) > allowed:
            continue
        if len(token) <= 4 and len(word) == len(token) and sorted(word) != sorted(token):
            continue  # a substitution in a short word makes another word, not a typo
        distance = edit_distance(token, word, allowed)
        if distance <= allowed and (best is None or (distance, written) < best):
            best = (distance, written)
    return None if best is None else best[1]


def edit_distance(a: str, b: str, cap: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), or cap + 1
    as soon as it must exceed `cap`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > cap:
            return cap + 1
        previous2, previous = previous, current
    return previous[-1]
