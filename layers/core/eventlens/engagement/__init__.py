"""Views, upvotes, reactions, comments and watch time of a media item, its counters, and the public media gallery."""
