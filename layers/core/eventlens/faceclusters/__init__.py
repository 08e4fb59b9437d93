"""People in photos: an event's faces clustered into people, incrementally as photos arrive."""
