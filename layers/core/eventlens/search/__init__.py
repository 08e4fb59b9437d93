"""Search, find me by selfie, similar photos and duplicates: the service functions the API and CLI call."""

from eventlens.search.duplicates import duplicate_clusters
from eventlens.search.faces import find_me, match_analytics
from eventlens.search.hybrid import search_photos
from eventlens.search.similar import similar_photos

__all__ = ["duplicate_clusters", "find_me", "match_analytics", "search_photos", "similar_photos"]
