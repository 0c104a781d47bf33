"""Global secondary indexes as DynamoDB has them: eventually consistent. DynamoDB Local updates an
index within the write; AWS propagates it a little later, so an item written a moment ago may be
missing from an index Query. With LOCAL_INDEX_LAG_MS set, an item's new or changed index entry stays
invisible to index Queries for that long after the write (made in this process), which proves that
nothing depends on reading an index right after writing it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from tools.local_aws.dynamodb_limits import key_attributes

_visible_at: dict[tuple[str, str], float] = {}  # (table pk, index name) -> when its entry appears
_entries: dict[tuple[str, str], tuple[Any, ...]] = {}  # (table pk, index name) -> the entry's keys
_lock = threading.Lock()


def lag_s() -> float:
    return float(os.environ.get("LOCAL_INDEX_LAG_MS") or 0) / 1000


def written(table: str, item: dict[str, Any], indexes: list[str]) -> None:
    """Note an item put: an index entry that is new or moved becomes visible only after the lag."""
    if not lag_s():
        return
    pk = next(iter(item["pk"].values()))
    with _lock:
        for index in indexes:
            hash_key, range_key = key_attributes(table, index)
            entry = (_plain(item.get(hash_key)), _plain(item.get(range_key)) if range_key else None)
            if entry[0] is not None and _entries.get((pk, index)) != entry:
                _visible_at[(pk, index)] = time.monotonic() + lag_s()
            _entries[(pk, index)] = entry


def hide_recent(index: str, parsed: dict[str, Any]) -> None:
    """Remove from an index Query's answer the entries not propagated yet."""
    if not lag_s() or "Items" not in parsed:
        return
    now = time.monotonic()
    with _lock:
        parsed["Items"] = [item for item in parsed["Items"]
                           if _visible_at.get((next(iter(item["pk"].values())), index), 0) <= now]
        parsed["Count"] = len(parsed["Items"])


def _plain(av: dict[str, Any] | None) -> Any:
    return next(iter(av.values())) if av else None
