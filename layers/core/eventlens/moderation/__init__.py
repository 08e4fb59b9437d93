"""Moderation: hiding photos and the NSFW review queue ("flagged")."""
