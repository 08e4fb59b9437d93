"""A Gemini rate limit shared by every worker of the project, kept in the database."""
