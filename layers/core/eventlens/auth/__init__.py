"""Organizer authentication: password hashes, signed tokens, per-event access checks."""
