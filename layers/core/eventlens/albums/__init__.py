"""Albums curated on top of an event's folders and tags: contributions, ratings, flags, bans."""
