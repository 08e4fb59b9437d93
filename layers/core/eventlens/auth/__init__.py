"""Organizer authentication: password hashes, signed tokens, Cognito sign-in, per-event access checks."""
