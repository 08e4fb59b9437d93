"""Subjects: the people, organizations, places, sessions and events that photos depict."""
