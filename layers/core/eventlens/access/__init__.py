"""Who may do what: the six roles, the one table of rights, grants, invitations and the check."""
