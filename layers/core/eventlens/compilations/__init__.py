"""Compilations: highlight reels made from an event's videos (issue 16)."""
