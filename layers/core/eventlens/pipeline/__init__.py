"""The resumable AI pipeline: sync → scan → analyze → describe → embed → faces → dedupe → tag.

Each phase keeps its per-photo state in the database, stops before its wall-clock budget and
picks only the rows that still need it, so the same functions run as Lambdas chained by Step
Functions and as the local runner (`runner.run_pipeline`).
"""
