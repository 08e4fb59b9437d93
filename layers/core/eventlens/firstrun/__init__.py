"""The first run of a new embedded installation: the wizard's one request that creates the first
organization, event and organizer account, points the event at its photos and starts its first run."""
