"""Roles cached per function instance, fresh because each entry carries its tenant's grants version.

Every request reads its event (or organization) anyway, and that row carries the organization's
`grants_version`, which the database bumps on any grant change, event move or "sign out
everywhere" (migration 0015). An entry older than the version read is ignored, so a hit costs no
query and a change is seen by the very next request, on every instance.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventlens.access.rights import Role

Key = tuple[UUID, UUID | None, UUID | None]
"""(person, organization, event)."""


@dataclass(frozen=True)
class Entry:
    version: int
    role: Role | None
    sessions_valid_after: datetime | None
    exists: bool


class RoleCache:
    def __init__(self, size: int = 10_000) -> None:
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, version: int) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Key, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


roles = RoleCache()
