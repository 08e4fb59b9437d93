"""Events: create, look up, settings, and the view the gallery opens with."""
