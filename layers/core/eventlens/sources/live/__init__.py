"""A live folder (a local folder or an S3 bucket/prefix) followed in place as an event's source."""
