"""Sources: where photos come from (a folder, uploads, a bucket) and keeping rows in step with them."""
