"""The per-process maps of verified tokens and client copies stay bounded."""

from __future__ import annotations

import threading

from gateway.oauth.bounded_map import BoundedMap


def test_a_full_map_forgets_its_least_recently_used_entry():
    kept = BoundedMap[str, int](2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)


def test_threads_filling_a_map_leave_it_within_its_capacity():
    kept = BoundedMap[int, int](50)

    def fill(start: int) -> None:
        for key in range(start, start + 1000):
            kept.put(key, key)
            kept.get(key - 1)

    threads = [threading.Thread(target=fill, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(kept.get(key) is not None for key in range(4000)) == 50
