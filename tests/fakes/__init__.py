"""In-process stand-ins for external services the tests cannot reach."""
