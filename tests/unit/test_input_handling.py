"""Input handling rules, without a database (issue 11): queries, cursors, request bodies, keys."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router
from eventlens.errors import DomainError, InvalidCursor, InvalidKey
from eventlens.media.views import decode_cursor, encode_cursor
from eventlens.search.fusion import Candidate, fuse, page
from eventlens.search.service import MAX_QUERY_CHARS, normalize
from eventlens.storage import validate_key
from pydantic import BaseModel

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
ZERO = "00000000-0000-0000-0000-000000000000"


def raw_cursor(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


# -- search text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a\x00b", "a b"),
        ("\x00", ""),
        ("tab\there\nnew\x0bline", "tab here new line"),
        ("bell\x07 and del\x7f and c1\x85", "bell and del and c1"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("  keynote   speaker ", "keynote speaker"),
        ("Zoë 東京 🎉", "Zoë 東京 🎉"),
    ],
)
def test_normalize_drops_what_postgresql_cannot_store(query: str, expected: str) -> None:
    assert normalize(query) == expected
    normalize(query).encode("utf-8")  # always encodable


def test_normalize_caps_the_length() -> None:
    assert normalize("x" * 1000) == "x" * MAX_QUERY_CHARS


# -- cursors -------------------------------------------------------------------------------------


def test_a_cursor_round_trips() -> None:
    moment = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor([moment, ZERO])) == [str(moment), ZERO]


@pytest.mark.parametrize(
    "text",
    [
        b"[]",
        b"[1]",
        b"[1, 2, 3]",
        b"{}",
        b'"x"',
        b"1",
        b"[1e400, 1]",
        b"[NaN, 1]",
        b"[-Infinity, 1]",
        b"[",
        b"\xff",
    ],
)
def test_decode_cursor_refuses_every_other_shape(text: bytes) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(raw_cursor(text))


@pytest.mark.parametrize("sort", ["taken_at", "-taken_at", "filename", "-filename"])
def test_the_photo_keyset_holds_typed_values(sort: Any) -> None:
    from eventlens.media.service import keyset

    value = "2024-05-01 10:00:00+00:00" if "taken_at" in sort else "IMG_0001.jpg"
    typed, photo_id = keyset(encode_cursor([value, ZERO]), sort)
    assert photo_id == UUID(ZERO)
    if "taken_at" in sort:
        assert typed == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        assert keyset(encode_cursor(["2024-05-01T10:00:00", ZERO]), sort)[0].tzinfo is UTC
    else:
        assert typed == "IMG_0001.jpg"


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("taken_at", [5, ZERO]),
        ("taken_at", ["yesterday", ZERO]),
        ("taken_at", ["2024-13-01", ZERO]),
        ("taken_at", [None, ZERO]),
        ("taken_at", ["2024-05-01", "x"]),
        ("taken_at", ["2024-05-01", 5]),
        ("filename", [5, ZERO]),
        ("filename", ["a\x00b", ZERO]),
        ("filename", ["\ud800", ZERO]),
        ("filename", [["a"], ZERO]),
        ("-filename", ["a", None]),
    ],
)
def test_the_photo_keyset_refuses_values_of_the_wrong_type(sort: Any, values: list[Any]) -> None:
    from eventlens.media.service import keyset

    with pytest.raises(InvalidCursor):
        keyset(encode_cursor(values), sort)


@pytest.mark.parametrize(
    "after",
    [
        [],
        [1.0],
        [1.0, ZERO, 3],
        ["1.0", ZERO],
        [True, ZERO],
        [None, ZERO],
        [float("inf"), ZERO],
        [float("nan"), ZERO],
        [10**400, ZERO],
        [1.0, "not-a-uuid"],
        [1.0, 5],
        [1.0, None],
    ],
)
def test_search_paging_refuses_a_keyset_that_is_not_a_score_and_an_id(after: list[Any]) -> None:
    ranked = fuse([Candidate(UUID(int=n), fulltext=n / 10) for n in range(1, 4)])
    with pytest.raises(InvalidCursor):
        page(ranked, 2, after)


def test_search_paging_accepts_an_int_score_and_any_spelling_of_the_id() -> None:
    ranked = fuse([Candidate(UUID(int=n), fulltext=n / 10) for n in range(1, 4)], "weighted")
    first, after = page(ranked, 1)
    assert after is not None
    second, _ = page(ranked, 1, [after[0], str(after[1]).upper()])
    assert second[0].candidate.id != first[0].candidate.id
    assert page(ranked, 5, [0, ZERO])[0] == []


# -- request bodies through a resolver -----------------------------------------------------------


class Body(BaseModel):
    name: str


def _resolve(
    body: bytes | str | None, base64_encoded: bool, content_type: str = "application/json"
) -> tuple[int, Any]:
    from eventlens.api.app import build_resolver

    router = Router()

    @router.post("/echo")
    def echo(payload: Body) -> dict[str, str]:
        return {"name": payload.name}

    if isinstance(body, bytes):
        body = base64.b64encode(body).decode() if base64_encoded else body.decode("latin-1")
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/echo",
        "rawQueryString": "",
        "headers": {"host": "test", "content-type": content_type},
        "requestContext": {
            "http": {"method": "POST", "path": "/echo", "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }
    reply = build_resolver(router).resolve(event, None)
    return reply["statusCode"], json.loads(reply["body"])


def test_a_json_body_is_still_read() -> None:
    assert _resolve(b'{"name": "Zo\xc3\xab"}', base64_encoded=True) == (200, {"name": "Zoë"})
    assert _resolve('{"name": "x"}', base64_encoded=False) == (200, {"name": "x"})


@pytest.mark.parametrize(
    ("body", "encoded", "message"),
    [
        (b'{"name": "\xff"}', True, "The request body is not UTF-8 text"),
        ("!!! not base64 !!!", True, "The request body is not UTF-8 text"),
        (b"[" * 5000 + b"]" * 5000, False, "The JSON body is nested too deeply or has a number too long"),
        (
            b'{"name": ' + b"7" * 5000 + b"}",
            False,
            "The JSON body is nested too deeply or has a number too long",
        ),
        (b'{"name": "a\\u0000b"}', False, "The JSON body has a NUL character (\\u0000) in a string"),
        (b'{"a\\u0000": "b", "name": "x"}', False, "The JSON body has a NUL character (\\u0000) in a string"),
        (b'{"name": [[[[["\\u0000"]]]]]}', False, "The JSON body has a NUL character (\\u0000) in a string"),
    ],
)
def test_a_body_no_parser_should_read_is_a_400(body: bytes | str, encoded: bool, message: str) -> None:
    assert _resolve(body, encoded) == (400, {"message": message})


def test_a_body_of_another_type_is_a_415() -> None:
    assert _resolve('{"name": "x"}', False, content_type="text/plain")[0] == 415


# -- keys ----------------------------------------------------------------------------------------


def test_a_key_segment_may_have_255_bytes_not_more() -> None:
    assert validate_key("events/demo/" + "a" * 255)
    assert validate_key("events/demo/" + "写" * 85)  # 255 bytes
    for key in ("events/demo/" + "a" * 256, "events/demo/" + "写" * 86, "events/" + "d" * 256 + "/x.jpg"):
        with pytest.raises(InvalidKey, match="255 bytes"):
            validate_key(key)


def test_a_key_that_is_not_unicode_text_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidKey):
        validate_key("events/demo/\ud800.jpg")


@pytest.mark.parametrize(
    ("name", "ending"),
    [
        ("a" * 250 + ".jpg", ".jpg"),
        ("写" * 92 + ".jpg", ".jpg"),
        ("写" * 255 + ".JPEG", ".JPEG"),
        ("写" * 255, "写"),
        ("x." + "y" * 300, "y"),  # no real extension: the name is cut
        ("IMG_0001.jpg", "IMG_0001.jpg"),
    ],
)
def test_an_upload_key_keeps_the_name_within_200_bytes_and_the_extension(name: str, ending: str) -> None:
    from eventlens.sources.service import MAX_UPLOAD_NAME_BYTES, upload_key

    key = upload_key("demo", name)
    stored = key.rsplit("/", 1)[1]
    assert key.startswith("events/demo/originals/uploads/")
    assert len(stored.encode()) <= MAX_UPLOAD_NAME_BYTES <= 255
    assert stored.endswith(ending)
    assert validate_key(key) == key
    stored.encode().decode("utf-8")  # cut on a character boundary


# -- the selfie form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=x"),
        (b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
        (b'--x\r\nContent-Disposition: form-data; name="selfie"\r\n', "multipart/form-data; boundary=x"),
        (
            b"--x\r\nContent-Disposition: form-data; name*=bogus''%ff\r\n\r\nx\r\n--x--",
            "multipart/form-data; boundary=x",
        ),
        (
            b"--x\r\nContent-Type: multipart/mixed; boundary=y\r\n\r\n--y\r\n\r\n--y--\r\n--x--",
            "multipart/form-data; boundary=x",
        ),
    ],
)
def test_a_broken_selfie_form_is_a_domain_error_or_bytes_for_the_decoder(
    home: Any, body: bytes, content_type: str
) -> None:
    from eventlens.api.multipart import read_selfie

    try:
        image, _ = read_selfie(body, content_type)
    except DomainError:
        return
    assert isinstance(image, bytes)  # decode_selfie refuses what is not an image
