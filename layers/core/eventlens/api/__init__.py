"""HTTP API: Powertools routers per route group, request/response models, error mapping."""
