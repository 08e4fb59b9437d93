"""Duplicates: the one clustering rule (near dHash), stored by a phase, reviewed by organizers;
exact copies (the files with one photo's bytes) listed beside them."""
