"""Input a client controls answers a clear 4xx through the real handlers, never a 500 (issue 11).

Each request here was a 500 before: a NUL reaching PostgreSQL, a cursor of the wrong shape or
types reaching the keyset query, JSON nested past the recursion limit or a body that is not
UTF-8 reaching Powertools' parser, a body of the wrong content type, HEIC accepted for upload.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

DEEP = b"[" * 2000 + b"]" * 2000
NOT_UTF8 = b'{"password": "\xff\xfe"}'


def cursor(raw: Any) -> str:
    text = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def aws(
    method: str, path: str, body: bytes, headers: dict[str, str], token: str | None = None
) -> dict[str, Any]:
    """Call the handler with the event API Gateway builds for a body that is not UTF-8 text:
    base64, whatever the content type says."""
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    all_headers = {"host": "test", **headers, **({"authorization": f"Bearer {token}"} if token else {})}
    event = http_api_event(method, path, all_headers, b"", "127.0.0.1", None)
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    group = route_group(path)
    return lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))


@pytest.fixture
def token(api, seeded) -> str:
    status, reply = api("POST", "/api/events/demo/login", body={"password": "password-demo"})
    assert status == 200, reply
    return str(reply["token"])


# -- 1. NUL in a query ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/events/demo/search?q=a%00b",
        "/api/events/demo/search?q=x&tag=a%00b",
        "/api/events/demo/photos?folder=a%00b",
    ],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, seeded, path: str) -> None:
    status, reply = api("GET", path)
    assert status == 400, reply
    assert "NUL" in reply["message"]


def test_a_search_still_answers_after_a_nul_is_refused(api, seeded) -> None:
    assert api("GET", "/api/events/demo/search?q=a%00b")[0] == 400
    assert api("GET", "/api/events/demo/search?q=keynote")[0] == 200


# -- 2. cursors ----------------------------------------------------------------------------------

ZERO = "00000000-0000-0000-0000-000000000000"
BAD_CURSORS: list[Any] = [
    [],
    [1, 2, 3],
    ["x", 5],
    [5, "x"],
    [None, None],
    [{"a": 1}, "x"],
    [[1], [2]],
    ["2024-01-01", "not-a-uuid"],
    ["a\u0000b", ZERO],
    [True, ZERO],
    b"[1e400, 1]",
    b'[1e400, "' + ZERO.encode() + b'"]',
    b'[NaN, "' + ZERO.encode() + b'"]',
    b'["\\ud800", "' + ZERO.encode() + b'"]',
]


@pytest.mark.parametrize("sort", ["taken_at", "-taken_at", "filename", "-filename"])
def test_a_structured_but_wrong_photos_cursor_is_a_400(api, seeded, sort: str) -> None:
    for bad in BAD_CURSORS:
        status, reply = api("GET", f"/api/events/demo/photos?sort={sort}&cursor={cursor(bad)}")
        assert (status, "cursor" in reply["message"]) == (400, True), (bad, reply)


def test_a_structured_but_wrong_search_cursor_is_a_400(api, seeded) -> None:
    for bad in BAD_CURSORS:
        status, reply = api("GET", f"/api/events/demo/search?q=keynote&cursor={cursor(bad)}")
        assert (status, "cursor" in reply["message"]) == (400, True), (bad, reply)


@pytest.mark.parametrize("sort", ["taken_at", "-taken_at", "filename", "-filename"])
def test_the_cursors_the_api_hands_out_still_page(api, seeded, sort: str) -> None:
    _, first = api("GET", f"/api/events/demo/photos?limit=1&sort={sort}")
    status, second = api("GET", f"/api/events/demo/photos?limit=1&sort={sort}&cursor={first['next_cursor']}")
    assert status == 200
    assert {first["photos"][0]["filename"], second["photos"][0]["filename"]} == {"a.jpg", "b.jpg"}


# -- 3. bodies no parser can read ----------------------------------------------------------------


def _json_routes(token: str) -> list[tuple[str, str, str | None]]:
    return [
        ("POST", "/api/events/demo/download", None),
        ("POST", "/api/events/demo/login", None),
        ("POST", "/api/events/demo/match", None),
        ("PATCH", "/api/events/demo/admin/settings", token),
        ("PATCH", "/api/events/demo/admin/photos/00000000-0000-0000-0000-000000000000", token),
        ("POST", "/api/events/demo/admin/uploads", token),
        ("POST", "/api/events/demo/admin/uploads/complete", token),
        ("POST", "/api/events/demo/admin/pipeline/runs", token),
    ]


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        b'{"password": ' + DEEP + b"}",
        b'{"password": ' + b"1" * 5000 + b"}",
        b'{"name": "a\\u0000b", "password": "x\\u0000", "ids": ["\\u0000"], "hidden": "\\u0000"}',
    ],
    ids=["nested 2000 deep", "nested inside an object", "5000-digit number", "NUL in a string"],
)
def test_json_no_parser_should_read_is_a_400_on_every_json_route(api, token, body: bytes) -> None:
    for method, path, auth in _json_routes(token):
        status, reply = api(method, path, raw=body, token=auth, headers={"content-type": "application/json"})
        assert status == 400, (path, reply)
        assert "JSON" in reply["message"], (path, reply)


def test_a_body_that_is_not_utf8_is_a_400_on_every_json_route(api, token) -> None:
    for method, path, auth in _json_routes(token):
        reply = aws(method, path, NOT_UTF8, {"content-type": "application/json"}, token=auth)
        assert reply["statusCode"] == 400, (path, reply)
        assert json.loads(reply["body"]) == {"message": "The request body is not UTF-8 text"}


def test_the_local_server_hands_a_body_that_is_not_utf8_over_as_api_gateway_does(api, seeded) -> None:
    from eventlens.devserver import http_api_event

    event = http_api_event("POST", "/x", {"content-type": "application/json"}, NOT_UTF8, "127.0.0.1", None)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == NOT_UTF8
    status, reply = api(
        "POST", "/api/events/demo/login", raw=NOT_UTF8, headers={"content-type": "application/json"}
    )
    assert (status, reply) == (400, {"message": "The request body is not UTF-8 text"})


def test_invalid_json_stays_a_422_and_on_the_selfie_route_a_400(api, seeded) -> None:
    status, reply = api(
        "POST", "/api/events/demo/login", raw=b"{", headers={"content-type": "application/json"}
    )
    assert status == 422
    assert "JSON" in reply["message"]
    status, reply = api(
        "POST", "/api/events/demo/match", raw=b"{", headers={"content-type": "application/json"}
    )
    assert (status, reply) == (400, {"message": "The request body is not valid JSON"})


def test_a_body_of_another_content_type_is_a_415(api, seeded) -> None:
    status, reply = api(
        "POST", "/api/events/demo/login", raw=b'{"password": "x"}', headers={"content-type": "text/plain"}
    )
    assert status == 415
    assert "application/json" in reply["message"]


def test_a_selfie_form_whose_base64_is_broken_is_a_400(seeded) -> None:
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler

    event = http_api_event(
        "POST",
        "/api/events/demo/match",
        {"host": "t", "content-type": "multipart/form-data; boundary=x"},
        b"",
        "127.0.0.1",
        None,
    )
    event.update(body="!!not base64!!", isBase64Encoded=True)
    reply = lambda_handler("api_match")(event, LambdaContext("api_match", "r", deadline_ms=2**62))
    assert reply["statusCode"] == 400


# -- 5. long names -------------------------------------------------------------------------------


def test_path_segments_over_255_bytes_are_refused_not_a_500(api, token) -> None:
    assert api("GET", "/api/events/" + "a" * 300)[0] == 422
    assert api("GET", "/api/events/demo/photos/" + "a" * 300)[0] == 422
    assert api("GET", "/api/events/demo/photos/" + "a" * 300 + "/similar")[0] == 422
    assert (
        api("PATCH", "/api/events/demo/admin/photos/" + "a" * 300, body={"hidden": True}, token=token)[0]
        == 422
    )
    status, reply = api(
        "POST",
        "/api/events/demo/admin/uploads/complete",
        body={"keys": ["events/demo/originals/" + "a" * 300]},
        token=token,
    )
    assert status == 400
    assert "255 bytes" in reply["message"]


@pytest.mark.parametrize("name", ["a" * 250 + ".jpg", "写" * 92 + ".jpg", "写" * 255, "b" * 255])
def test_an_upload_ticket_stores_a_long_name_in_at_most_200_bytes_keeping_the_extension(
    api, token, name: str
) -> None:
    status, ticket = api(
        "POST",
        "/api/events/demo/admin/uploads",
        body={"filename": name, "content_type": "image/jpeg", "size": 10},
        token=token,
    )
    assert status == 200, ticket
    stored = ticket["key"].rsplit("/", 1)[1]
    assert len(stored.encode()) <= 200
    assert stored.endswith(".jpg") == name.endswith(".jpg")
    assert stored[13:20] == name[:7]


# -- 6. what an upload may be --------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["image/heic", "image/heif", "image/avif"])
def test_an_upload_the_pipeline_cannot_decode_is_refused_at_the_ticket(api, token, content_type: str) -> None:
    status, reply = api(
        "POST",
        "/api/events/demo/admin/uploads",
        body={"filename": "IMG_0001.HEIC", "content_type": content_type, "size": 10},
        token=token,
    )
    assert status == 400
    assert "cannot be processed yet" in reply["message"]
    assert "JPEG" in reply["message"]


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/bmp", "video/mp4", "video/webm"])
def test_an_upload_the_pipeline_decodes_gets_a_ticket(api, token, content_type: str) -> None:
    body = {"filename": "f", "content_type": content_type, "size": 10}
    assert api("POST", "/api/events/demo/admin/uploads", body=body, token=token)[0] == 200


# -- 1 and 7 through the selfie route ------------------------------------------------------------


def _form(image: bytes, q: str | None = None) -> tuple[bytes, str]:
    boundary = "----eventlensBoundary7"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="selfie"; filename="s.png"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + image
        + b"\r\n"
    ]
    if q is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="q"\r\n\r\n{q}\r\n'.encode())
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_nul_in_the_find_me_text_is_normalised_not_a_500(api, seeded) -> None:
    import io

    import numpy as np
    import skimage.data
    from eventlens.ml.faces import face_model
    from PIL import Image

    rgb = np.asarray(skimage.data.astronaut())
    (face,) = face_model("sface").detect(rgb)
    x, y, w, h = (int(v) for v in face.bbox)
    selfie = io.BytesIO()
    Image.fromarray(
        np.ascontiguousarray(rgb[max(0, y - h // 2) : y + h * 3 // 2, max(0, x - w // 2) : x + w * 3 // 2])
    ).save(selfie, "JPEG")
    body, content_type = _form(selfie.getvalue(), q="flag\x00 keynote")
    headers = {"content-type": content_type, **_consent("demo")}
    status, reply = api("POST", "/api/events/demo/match", raw=body, headers=headers)
    assert status == 200, reply
    status, reply = api(
        "POST",
        "/api/events/demo/match",
        body={"image_base64": base64.b64encode(selfie.getvalue()).decode(), "q": "flag\u0000"},
    )
    assert status == 400  # a NUL in a JSON string is refused with the body
    assert "NUL" in reply["message"]


def test_a_large_png_selfie_is_refused_before_it_is_decoded(api, seeded) -> None:
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (5000, 5000), (90, 60, 40)).save(png, "PNG")  # 25 MP, a few KB
    body, content_type = _form(png.getvalue())
    headers = {"content-type": content_type, **_consent("demo")}
    status, reply = api("POST", "/api/events/demo/match", raw=body, headers=headers)
    assert status == 413
    assert "unless JPEG" in reply["message"]


def _consent(slug: str) -> dict[str, str]:
    """The header that agrees, with the request itself, to the event's consent text (findme.control)."""
    from eventlens.events.service import get_event
    from eventlens.findme.control import consent_text, consent_version

    return {"X-EventLens-Consent": consent_version(consent_text(get_event(slug)))}
