"""Turn whatever Gemini answered into a ``Description``, even when the JSON is broken.

Even with ``response_mime_type=application/json`` the model sometimes wraps its JSON in a
Markdown fence, talks around it, stops mid-string at the token limit, or answers in
"key: value" prose. Losing a photo's description to that costs a paid call, so the reply is
read in three levels: strict JSON, repaired truncated JSON, then per-field regex extraction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from eventlens.ml.describe import Description

RecoveryLevel = Literal["json", "repaired", "regex"]

FIELDS: dict[str, tuple[str, ...]] = {
    "visible_text": ("visible_text", "text", "ocr_text", "visible_texts"),
    "people_descriptions": ("people_descriptions", "people_description", "people", "persons"),
    "scene_description": ("scene_description", "scene", "description"),
    "face_count": ("face_count", "faces", "number_of_faces", "num_faces", "people_count"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELDS.items() for alias in aliases}
_NULLS = {"", "null", "none", "n/a", "na", "nil", "undefined", "unknown"}
_NUMBER_WORDS = {
    word: n
    for n, word in enumerate(
        [
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
            *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
            *("eighteen", "nineteen", "twenty"),
        ]
    )
}
_NUMBER_WORDS.update({"no": 0, "a": 1, "an": 1, "single": 1})
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)(?:```|$)", re.DOTALL)
_MAX_REPAIR_TRIES = 64


class UnparseableReplyError(ValueError):
    """The reply holds none of the expected fields (a refusal, an empty or foreign answer)."""


@dataclass(frozen=True)
class ParsedReply:
    """The description plus how hard we had to work for it (logged, counted in metrics)."""

    description: Description
    level: RecoveryLevel


def parse_description_reply(text: str | None) -> Description:
    """The ``Description`` in a Gemini reply; raises ``UnparseableReplyError`` when none."""
    return parse_reply(text).description


def parse_reply(text: str | None) -> ParsedReply:
    """Try strict JSON, then repaired JSON, then regex extraction, in that order."""
    if text is None or not text.strip():
        raise UnparseableReplyError("empty reply")
    obj = _strict_json(text)
    if obj is not None:
        return ParsedReply(_from_mapping(obj), "json")
    obj = _repaired_json(text)
    if obj is not None:
        return ParsedReply(_from_mapping(obj), "repaired")
    fields = _regex_fields(text)
    if fields:
        return ParsedReply(_from_mapping(fields), "regex")
    raise UnparseableReplyError(f"no description fields in reply: {text[:200]!r}")


# -- level 1: strict JSON, possibly fenced or with prose around it ---------------------------


def _strict_json(text: str) -> dict[str, Any] | None:
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        obj = _loads_object(candidate)
        if obj is not None:
            return obj
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        obj = _as_object(value)
        if obj is not None:
            return obj
    return None


def _loads_object(candidate: str) -> dict[str, Any] | None:
    try:
        return _as_object(json.loads(candidate))
    except json.JSONDecodeError:
        return None


def _as_object(value: Any) -> dict[str, Any] | None:
    """A dict with at least one known field; a one-element list of it is unwrapped."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict) and any(_field_of(k) for k in value):
        return value
    return None


# -- level 2: truncated JSON, closed and trimmed until it parses -----------------------------


def _repaired_json(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    body = text[start:]
    fence_end = body.find("```")
    if fence_end >= 0:
        body = body[:fence_end]
    cuts = [len(body), *reversed(_comma_positions(body))][:_MAX_REPAIR_TRIES]
    for cut in cuts:
        obj = _loads_object(_close(body[:cut]))
        if obj is not None:
            return obj
    return None


def _structural(body: str) -> Iterator[tuple[int, str]]:
    """(offset, char) of every character outside JSON strings; the scan ends in `_Scan` state."""
    scan = _Scan()
    for i, ch in enumerate(body):
        if scan.step(ch):
            yield i, ch


class _Scan:
    """Where a left-to-right pass over JSON text stands: inside a string, after a backslash."""

    def __init__(self) -> None:
        self.in_string = self.escaped = False

    def step(self, ch: str) -> bool:
        """Advance by one character; True when it is structural (outside any string)."""
        if self.in_string:
            if self.escaped:
                self.escaped = False
            elif ch == "\\":
                self.escaped = True
            elif ch == '"':
                self.in_string = False
            return False
        if ch == '"':
            self.in_string = True
            return False
        return True


def _comma_positions(body: str) -> list[int]:
    """Offsets of commas outside strings: cutting there drops a half-written member."""
    return [i for i, ch in _structural(body) if ch == ","]


def _close(prefix: str) -> str:
    """Close an open string, drop a dangling key or comma, then close every open bracket."""
    stack: list[str] = []
    scan = _Scan()
    for ch in prefix:
        if not scan.step(ch):
            continue
        if ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    in_string, escaped = scan.in_string, scan.escaped
    out = prefix
    if in_string:
        out = (out[:-1] if escaped else out) + '"'
    out = out.rstrip()
    out = re.sub(r'"(?:[^"\\]|\\.)*"\s*:\s*$', "", out).rstrip()
    out = out.rstrip(",").rstrip()
    return out + "".join(reversed(stack))


# -- level 3: regex extraction from mangled text ---------------------------------------------


def _key_pattern() -> re.Pattern[str]:
    words = sorted({a for aliases in FIELDS.values() for a in aliases}, key=len, reverse=True)
    names = "|".join(r"[\s_-]*".join(map(re.escape, w.split("_"))) for w in words)
    # A key at a line start or after a JSON delimiter, optionally quoted/bold: `"face_count":`,
    # `**Visible text:**`, `- people = ...`.
    return re.compile(
        rf"""(?:^|(?<=[\s{{,"'*]))[\s*"'`-]*(?P<key>{names})[\s*"'`]*[:=][\s*]*""",
        re.IGNORECASE | re.MULTILINE,
    )


_KEY = _key_pattern()


def _regex_fields(text: str) -> dict[str, Any]:
    matches = list(_KEY.finditer(text))
    fields: dict[str, Any] = {}
    for i, match in enumerate(matches):
        name = _field_of(match.group("key"))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        if name and name not in fields:
            fields[name] = _clean_fragment(text[match.end() : end])
    return fields


def _clean_fragment(raw: str) -> Any:
    """A value cut out of mangled text: quoted items become a list, quotes and escapes go."""
    value = raw.strip().rstrip(",}]`").strip().lstrip("[").strip()
    quote = value[:1]
    if quote in ("'", '"'):
        item = re.compile(rf"{quote}((?:[^{quote}\\]|\\.)*){quote}")
        items = item.findall(value)
        if items and not item.sub("", value).strip(" ,;\n"):
            return [_unescape(i) for i in items] if len(items) > 1 else _unescape(items[0])
        value = value[1:-1] if len(value) > 1 and value.endswith(quote) else value[1:]
    return _unescape(value.strip().rstrip(",").strip())


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


# -- normalisation ---------------------------------------------------------------------------


def _field_of(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    normal = re.sub(r"[\s-]+", "_", key.strip().lower())
    return _ALIAS_TO_FIELD.get(normal)


def _from_mapping(obj: dict[str, Any]) -> Description:
    fields: dict[str, Any] = {}
    for key, value in obj.items():
        name = _field_of(key)
        if name and name not in fields:
            fields[name] = value
    return Description(
        visible_text=as_text(fields.get("visible_text")),
        people_descriptions=as_text(fields.get("people_descriptions")),
        scene_description=as_text(fields.get("scene_description")),
        face_count=as_count(fields.get("face_count")),
    )


def as_text(value: Any) -> str:
    """Any JSON value as one line of searchable text; lists joined with "; ", nulls empty."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (as_text(v) for v in value) if t)
    if isinstance(value, dict):
        return ", ".join(t for t in (as_text(v) for v in value.values()) if t)
    text = str(value).strip()
    return "" if text.lower() in _NULLS else text


def as_count(value: Any) -> int | None:
    """A face count from 3, 3.0, "3", "3 people", "three"; None when unknown or nonsense."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return round(value) if value >= 0 else None
    if isinstance(value, list):
        return None
    text = str(value).strip().lower()
    if text in _NULLS:
        return None
    digits = re.search(r"-?\d+(?:\.\d+)?", text)
    if digits:
        return as_count(float(digits.group()))
    first = re.match(r"[a-z]+", text)
    return _NUMBER_WORDS.get(first.group()) if first else None
