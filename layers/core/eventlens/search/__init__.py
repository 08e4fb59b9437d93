"""Search in plain words (full text, typos, meaning) and more like this photo.

The package itself imports nothing, so an API handler that needs only `search.views` stays light;
the service (`eventlens.search.service`) is imported where a route runs it.
"""
