"""A Google Drive folder (and its subfolders) as an event's source, the Drive file id its identity."""
