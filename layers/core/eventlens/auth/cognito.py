"""Organizer sign-in against the Cognito user pool (AWS mode): username and password for an ID token.

The HTTP API's JWT authorizer accepts only the pool's tokens, so on AWS the dashboard's login
exchanges the organizer's credentials with Cognito (`InitiateAuth`, USER_PASSWORD_AUTH, an app
client without a secret) instead of issuing a token of our own. boto3 is imported here, on first
use, so no API handler pays for it at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What Cognito answers for a wrong password, an unknown user (PreventUserExistenceErrors turns
# UserNotFound into NotAuthorized on AWS; moto still says UserNotFound), an unconfirmed user or a
# password an admin has reset: to the caller they are all "wrong username or password".
_BAD_CREDENTIALS = frozenset(
    {
        "NotAuthorizedException",
        "UserNotFoundException",
        "UserNotConfirmedException",
        "PasswordResetRequiredException",
    }
)


class InvalidCredentials(Exception):
    pass


class ChallengeRequired(Exception):
    """Cognito accepted the password but asks for another step (e.g. NEW_PASSWORD_REQUIRED)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class CognitoError(RuntimeError):
    """Cognito answered with something this client was not configured for (a deployment error)."""


@dataclass(frozen=True)
class IdToken:
    token: str
    claims: dict[str, Any]
    expires_at: int


def sign_in(client_id: str, username: str, password: str) -> IdToken:
    """The user's ID token (its `aud` is the client id; its `cognito:groups` name the events)."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("cognito-idp")
    try:
        reply = client.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _BAD_CREDENTIALS:
            raise InvalidCredentials(username) from None
        raise
    if reply.get("ChallengeName"):
        raise ChallengeRequired(str(reply["ChallengeName"]))
    token = str(reply["AuthenticationResult"]["IdToken"])
    claims = _claims(token, client_id)
    return IdToken(token=token, claims=claims, expires_at=int(claims["exp"]))


def _claims(token: str, client_id: str) -> dict[str, Any]:
    """The ID token's claims, read but not verified again: it came straight from Cognito over TLS in
    this request, and the HTTP API authorizer checks its signature on every admin request (a second
    check here would need the pool's JWKS fetched, for no added trust)."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False, "require": ["exp"]})
    except jwt.PyJWTError as error:
        raise CognitoError(f"Cognito returned an unusable ID token: {error}") from None
    if claims.get("aud") != client_id or claims.get("token_use") != "id":
        raise CognitoError("Cognito returned a token for another client or of another kind")
    return claims
