"""Who may set up an empty embedded installation, and setting it up in one request.

The rule: only the holder of the setup code, and only while the installation has no event. The
code is made by `eventlens serve` when it starts on an installation without events, printed on its
terminal and kept in `<EVENTLENS_HOME>/setup-code` (mode 0600, so only the account that runs the
server can read it); the wizard must send it. Being on the same machine is not enough (any local
process or a page in the browser could call the loopback port), and being on the network is
never enough. The code is deleted once setup succeeds, and a second setup is refused because an
event exists. On AWS no server prints a code, so that route always refuses: there the same wizard
is the installation admin's (SUPER_ADMIN, the Cognito group `admins`), signed in through the user
pool, and sets up an event, its organization if new, its source and its first run at any time
(`setup_event`); further events of an existing organization also come from `POST /api/events`.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from eventlens import db
from eventlens.access import service as access
from eventlens.access.members import operator_grant
from eventlens.access.rights import Role
from eventlens.accounts import service as accounts
from eventlens.auth.principals import Principal
from eventlens.config import settings
from eventlens.errors import InvalidEvent, OrganizationNotFound, SetupDone, SetupRefused
from eventlens.events import service as events
from eventlens.firstrun.views import EventSetup, SetupRequest, SetupResult, SetupStatus
from eventlens.jobs import service as jobs
from eventlens.jobs.views import PipelineRun
from eventlens.orgs import service as orgs
from eventlens.scope import Scope
from eventlens.types import SLUG, Event, EventSettings

CODE_FILE = "setup-code"


def _code_path() -> Path:
    return settings().home / CODE_FILE


def needs_setup() -> bool:
    return not events.list_events()


def issue_code() -> str | None:
    """The setup code for this installation (made once, kept until setup is done); None when it
    has events already (and any old code is removed)."""
    path = _code_path()
    if not needs_setup():
        path.unlink(missing_ok=True)
        return None
    if path.is_file():
        return path.read_text().strip()
    code = "-".join(secrets.token_hex(3) for _ in range(3))  # 72 bits, readable aloud
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(code + "\n")
    return code


def status() -> SetupStatus:
    if settings().organizer_login == "cognito":
        return SetupStatus(needed=needs_setup(), code_issued=False, sign_in="admin")
    return SetupStatus(needed=needs_setup(), code_issued=_code_path().is_file())


def _check_code(code: str) -> None:
    path = _code_path()
    expected = path.read_text().strip() if path.is_file() else ""
    if not expected:
        raise SetupRefused(
            "No setup code was issued here: start the server with `eventlens serve`, which prints one,"
            " or create events as a signed-in installation admin"
        )
    if not hmac.compare_digest(code.strip().encode(), expected.encode()):
        raise SetupRefused("That is not the setup code `eventlens serve` printed")


def _validate(request: EventSetup) -> None:
    """Everything that can be refused is refused before anything is created."""
    for what, slug in (("organization", request.organization_slug), ("event", request.event_slug)):
        if not SLUG.match(slug):
            raise InvalidEvent(
                f"{slug!r} is not a valid {what} slug: use lowercase letters, digits and dashes"
            )
    source = request.source
    if source.kind == "folder" and settings().blob_backend == "s3":
        raise InvalidEvent(
            "a folder path is on the server's own disk: on AWS name an S3 prefix or a Drive folder"
        )
    if source.kind in ("folder", "s3"):
        from eventlens.sources.live.folders import check_allowed, normalize, open_folder

        if source.kind == "s3" and not source.location.startswith("s3://"):
            raise InvalidEvent("an S3 source is written s3://bucket/prefix")
        location = normalize(source.location)
        check_allowed(location)
        open_folder(location).check()
    elif source.kind == "drive" and not (source.location and source.credentials):
        raise InvalidEvent("a Google Drive source needs the folder id and the credentials file")


def setup(request: SetupRequest, client: str = "unknown") -> SetupResult:
    """Create the first organization, its organizer (SUPER_ADMIN of the installation), the event
    with its theme and face matching, its source, and start its first run."""
    _check_code(request.code)
    accounts.normalize_email(request.email)
    _validate(request)
    with db.advisory_lock("eventlens-first-run") as sole:
        if not sole or not needs_setup():  # a concurrent setup is going or done
            raise SetupDone("This installation is set up already: sign in to manage its events")
        orgs.create_organization(
            Scope.system().coming_from(client), request.organization_slug, request.organization_name
        )
        person = accounts.create_person(request.email, request.display_name, request.password)
        operator_grant(person.email, Role.SUPER_ADMIN)
        event, run, keeps_consent = _create_event(request, person.email)
        _code_path().unlink(missing_ok=True)  # one installation, one setup
    return SetupResult(
        event=event.slug,
        organization=request.organization_slug,
        email=person.email,
        run=run,
        consent_text_kept=keeps_consent and request.consent_text is not None,
    )


def setup_event(who: Principal, request: EventSetup, client: str = "unknown") -> SetupResult:
    """The wizard of a signed-in installation admin (AWS): the organization (made unless it
    exists), the event with its theme, face matching and source, and its first run."""
    scope = access.authorize_installation(who).coming_from(client)
    _validate(request)
    try:
        orgs.get_organization(request.organization_slug)
    except OrganizationNotFound:
        orgs.create_organization(scope, request.organization_slug, request.organization_name)
    event, run, keeps_consent = _create_event(request, who.email or who.subject)
    return SetupResult(
        event=event.slug,
        organization=request.organization_slug,
        email=who.email or who.subject,
        run=run,
        consent_text_kept=keeps_consent and request.consent_text is not None,
    )


def _create_event(request: EventSetup, organizer: str) -> tuple[Event, PipelineRun | None, bool]:
    """The event, its source and its first run (none without a source); whether the consent text
    could be kept."""
    keeps_consent = "consent_text" in EventSettings.model_fields  # the consent setting (issue 17)
    extra: dict[str, Any] = {"consent_text": request.consent_text} if keeps_consent else {}
    event = events.create_event(
        request.event_slug,
        request.event_name,
        organization=request.organization_slug,
        visibility=request.visibility,
        theme=request.theme,
        face_matching=request.face_matching,
        **extra,
    )
    acting = Scope.organizer(event, organizer)
    run = None
    if request.source.kind in ("folder", "s3"):
        from eventlens.sources.live.service import add_live_source

        add_live_source(acting, request.source.location)
    elif request.source.kind == "drive":
        from eventlens.sources.drive.service import add_drive_source

        add_drive_source(acting, request.source.location, request.source.credentials)
    if request.source.kind != "none":
        run = jobs.start_run(acting, "full")
    return event, run, keeps_consent
