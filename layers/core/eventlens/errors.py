"""One hierarchy of domain errors, each carrying its HTTP status.

Services raise these; the API maps `DomainError` to `{"message"}` with `status` in one handler
(a 4xx, or 503 with Retry-After for a dependency that is starting)
and every other exception to a logged 500, so an internal message never reaches a client.
The message of a domain error is written for the person who will read it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the caller can act on."""

    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(DomainError):
    status = HTTPStatus.UNAUTHORIZED


class Forbidden(DomainError):
    status = HTTPStatus.FORBIDDEN


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT


class PayloadTooLarge(DomainError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class TooManyRequests(DomainError):
    """Slow down: `retry_after_s` is sent as the Retry-After header."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class ServiceUnavailable(DomainError):
    """Not now, soon: a dependency is starting (the database resuming from a pause); the client is
    told when to try again (Retry-After) rather than shown a 500."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class DatabaseResuming(ServiceUnavailable):
    """No database connection within the wait: on AWS, Aurora paused at 0 ACU takes ~15 s to resume."""


# -- events and sign-in -----------------------------------------------------------------------


class EventNotFound(NotFound):
    pass


class EventExists(Conflict):
    pass


class InvalidEvent(BadRequest):
    """A slug or name the event cannot have."""


class MalformedRequest(BadRequest):
    """Bytes no route can read: a body that is not UTF-8 or is JSON nested too deep, a NUL in a
    parameter. The client's error, answered before any rule runs."""


class LoginFailed(Unauthorized):
    pass


class LoginChallenge(LoginFailed):
    """The password was right, but Cognito wants another step the dashboard cannot take."""


class UsernameRequired(BadRequest):
    pass


class NotSignedIn(Unauthorized):
    """No bearer token, or one that is expired, forged or for another issuer."""


class TooManySignIns(TooManyRequests):
    """Failed sign-ins from this client (or against this event) must wait before the next try."""


class NotOrganizer(Forbidden):
    """Signed in, but not an organizer of this event."""


class WeakPassword(BadRequest):
    pass


# -- people, organizations and roles ------------------------------------------------------------


class NotAllowed(Forbidden):
    """The caller's role may not take this action (access.rights)."""


class UnknownRole(BadRequest):
    pass


class OrganizationNotFound(NotFound):
    pass


class OrganizationExists(Conflict):
    pass


class PersonNotFound(NotFound):
    pass


class AccountExists(Conflict):
    pass


class InvalidEmail(BadRequest):
    pass


class LinkInvalid(BadRequest):
    """A mailed link that is unknown, already used or expired (the message says which)."""


class InvitationInvalid(BadRequest):
    """An invitation that is unknown, expired, revoked, used, or for another address."""


class MailRejected(BadRequest):
    """The mail server refused the message for good (a 5xx reply): usually the address. Retrying
    will not help; the person should check the address they gave."""


# -- media, uploads and storage -----------------------------------------------------------------


class PhotoNotFound(NotFound):
    pass


class MediaNotFound(NotFound):
    """A media URL that is forged, expired, or names a photo its holder may no longer see: one
    answer for all, so a URL tells nothing about a photo it does not open."""


class InvalidCursor(BadRequest):
    pass


class ArchiveNotFound(NotFound):
    """No archive with this id that its holder may read: unknown, another visitor's, or expired."""


class ArchiveTooLarge(PayloadTooLarge):
    """The selected originals add up to more than one ZIP download may hold (archive_max_bytes)."""


class ArchivesBusy(TooManyRequests):
    """The event is building as many archives as it may at once; try again shortly."""


class BadMedia(BadRequest):
    """Bytes that are not a photo or video we can read (a pipeline item fails with this message)."""


class UploadRejected(BadRequest):
    """A file type we do not accept."""


class UploadTooLarge(PayloadTooLarge):
    pass


class InvalidKey(BadRequest):
    """A blob key that is absolute, escapes its prefix or is not this event's."""


class BlobNotFound(NotFound):
    pass


class InvalidDriveSource(BadRequest):
    """A Drive folder id that is not one, or credentials that cannot be read."""


class DriveSourceNotFound(NotFound):
    """The event has no Google Drive source."""


# -- pipeline and jobs --------------------------------------------------------------------------


class UnknownPhase(BadRequest):
    pass


class RunNotFound(NotFound):
    pass


# -- find me ----------------------------------------------------------------------------------


class UnreadableImage(BadRequest):
    pass


class SelfieTooLarge(PayloadTooLarge):
    pass


class NoFaceFound(BadRequest):
    pass


class SeveralFaces(BadRequest):
    pass


class FaceMatchingDisabled(Forbidden):
    pass


class InvalidLiveSource(BadRequest):
    """A live folder that is not one: no such folder, an S3 location without a bucket, unreadable."""


class LiveSourceNotFound(NotFound):
    """The event has no live folder."""


class SetupRefused(Forbidden):
    """The first-run wizard without the setup code `eventlens serve` printed (or with a wrong one)."""


class SetupDone(Conflict):
    """The first-run wizard on an installation that has events already."""


# -- engagement (issue 16) ----------------------------------------------------------------------


class ItemLocked(Conflict):
    """A locked item takes no new views, upvotes, reactions or comments (its history stays)."""


class UnknownReaction(BadRequest):
    pass


class ReactionOutOfRange(BadRequest):
    """A reaction's moment is not within the video (0 to its duration)."""


class SessionRequired(BadRequest):
    pass


class CommentNotFound(NotFound):
    pass


class InvalidReply(BadRequest):
    """Replies go one level deep, to a comment of the same item."""


class TooManyComments(TooManyRequests):
    pass


class NotAVideo(BadRequest):
    pass


class CompilationNotFound(NotFound):
    pass


class InvalidCompilation(BadRequest):
    """A reel's recipe the library cannot make: a clip out of its video, too many, too long."""


# -- albums, subjects (issue 15) --------------------------------------------------------------------


class AlbumNotFound(NotFound):
    status = HTTPStatus.NOT_FOUND


class AlbumItemNotFound(NotFound):
    status = HTTPStatus.NOT_FOUND


class SubjectNotFound(NotFound):
    status = HTTPStatus.NOT_FOUND


class SubjectExists(Conflict):
    status = HTTPStatus.CONFLICT


class AlreadyFlagged(Conflict):
    status = HTTPStatus.CONFLICT


class FlagNotFound(NotFound):
    status = HTTPStatus.NOT_FOUND


class Banned(Forbidden):
    """A banned person browses and flags, nothing else."""

    status = HTTPStatus.FORBIDDEN


class AlbumLinkInvalid(NotFound):
    """An album link that is unknown, revoked or expired (one answer for all three)."""

    status = HTTPStatus.NOT_FOUND


class AlbumLinkPassword(Unauthorized):
    """The album link needs its password, or was given a wrong one."""

    status = HTTPStatus.UNAUTHORIZED


class ConsentRequired(DomainError):
    """428: the viewing session has not agreed to the event's consent text; the reply carries the
    text and its version (`extra`), which the gallery shows before asking again."""

    status = HTTPStatus.PRECONDITION_REQUIRED

    def __init__(
        self, message: str, consent_text: str | None = None, consent_version: str | None = None
    ) -> None:
        super().__init__(message)
        self.extra = (
            {"consent_text": consent_text, "consent_version": consent_version}
            if consent_text is not None
            else {}
        )


class AmbiguousMatch(Conflict):
    """Hide me / forget me refused: two faces match the selfie too closely to tell which is theirs."""


class NoMatchToControl(NotFound):
    """Hide me / forget me: the selfie matches no face of the event."""


class FaceClusterNotFound(NotFound):
    """No such person (face cluster) in the event's photos."""


class ThemeUnreadable(BadRequest):
    """The theme's text colour is too close to its background (WCAG contrast under 4.5:1)."""


class RunCancelled(Exception):
    """Not a refusal: a run stopped between slices because its job was cancelled (jobs.service
    closes it as cancelled); `results` is what its phases did until then."""

    def __init__(self, results: list[dict[str, Any]]) -> None:
        super().__init__("cancelled")
        self.results = results
