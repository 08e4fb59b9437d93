"""Media items (photos and videos): reading them, their view model, decoding and sniffing."""
