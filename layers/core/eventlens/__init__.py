"""EventLens: the domain package shared by every Lambda and the embedded server."""
