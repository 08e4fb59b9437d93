"""Duplicates: the one clustering rule (exact bytes, near dHash), stored by a phase, reviewed by organizers."""
