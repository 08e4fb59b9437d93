"""People's accounts: sign-up, passwords, mailed links, sessions, and profiles made just in time."""
