"""Organizations: who owns events (a conference series, an agency, a festival)."""
