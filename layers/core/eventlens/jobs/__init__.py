"""Jobs: pipeline runs as organizers start and follow them, per-phase counts, per-photo errors."""
