"""One module per phase; `pipeline.graph` names which function runs each."""
