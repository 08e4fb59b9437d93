"""The audit log: who did what sensitive thing, when, from where; append-only and hash-chained."""
