"""Events held until nothing drawn later can arrive before them.

Days are drawn in order and every event of a message comes after its acceptance, so once all
messages accepted before instant B are drawn, the events arriving before B are final and can be
released in arrival order. What remains is the tail (late deliveries, next-morning reads):
bounded by a day's traffic, not by the whole history.
"""

from __future__ import annotations

import numpy as np


class ArrivalQueue:
    """Columns of pending events with an `arrival` instant (Unix seconds)."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []

    def push(self, arrival: np.ndarray, **columns: np.ndarray) -> None:
        if len(arrival):
            self._parts.append({"arrival": arrival, **columns})

    def pop_before(self, bound: float) -> dict[str, np.ndarray]:
        """Every pending event arriving before `bound`, sorted by arrival (ties keep the
        order they were pushed in); the rest stays queued."""
        if not self._parts:
            return {}
        pending = {name: np.concatenate([p[name] for p in self._parts])
                   for name in self._parts[0]}
        order = np.argsort(pending["arrival"], kind="stable")
        ready = int(np.searchsorted(pending["arrival"][order], bound, side="left"))
        released = {name: column[order[:ready]] for name, column in pending.items()}
        rest = order[ready:]
        self._parts = [{name: column[rest] for name, column in pending.items()}] if len(
            rest) else []
        return released
