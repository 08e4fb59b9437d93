"""Search, find me by selfie, similar photos and duplicates.

Import the service functions from their modules (`eventlens.search.hybrid.search_photos`,
`.faces.find_me`, `.similar.similar_photos`, `.duplicates.duplicate_clusters`): this package
itself imports nothing, so an API handler that needs only `search.models` stays light.
"""
