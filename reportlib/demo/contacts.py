"""A tenant's address book: contact `i` has a phone number computed from `i`, so the book
costs no memory however large `--scale` makes it, and two contacts never share a number."""

from __future__ import annotations

from math import gcd

import numpy as np

from reportlib.domain.pricing import country_of_phone

AREA_CODES = np.array(["11", "21", "31", "41", "51", "61", "71", "81", "85", "92"], dtype=object)
FOREIGN_PREFIXES = ("+52155", "+1415", "+35191", "+54911")
MOBILE_SPAN = 90_000_000  # Brazilian mobile numbers 9 1000 0000 .. 9 9999 9999
FOREIGN_SPAN = 9_000_000
COUNTRIES = ("BR", *(country_of_phone(p) for p in FOREIGN_PREFIXES))


def _coprime_multiplier(rng: np.random.Generator, span: int) -> int:
    while True:
        candidate = int(rng.integers(span // 3, span))
        if gcd(candidate, span) == 1:
            return candidate


class Contacts:
    """Contacts 0..size-1; the first `foreign` are abroad (Mexico, US, Portugal, Argentina)."""

    def __init__(self, rng: np.random.Generator, size: int, foreign_share: float) -> None:
        self.size = size
        self.foreign = int(size * foreign_share)
        # i -> (i * multiplier + shift) % span is a bijection: distinct contacts, distinct numbers.
        self._multiplier = _coprime_multiplier(rng, MOBILE_SPAN)
        self._shift = int(rng.integers(MOBILE_SPAN))
        self._area_shift = int(rng.integers(len(AREA_CODES)))

    def pick(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` contacts drawn with replacement."""
        return rng.integers(self.size, size=count)

    def e164(self, index: np.ndarray) -> list[str]:
        """Phone numbers as '+5511912345678'."""
        index = np.asarray(index, dtype=np.int64)
        line = 10_000_000 + (index * self._multiplier + self._shift) % MOBILE_SPAN
        area = AREA_CODES[(index + self._area_shift) % len(AREA_CODES)]
        numbers = [f"+55{a}9{n}" for a, n in zip(area.tolist(), line.tolist(), strict=True)]
        for i in np.flatnonzero(index < self.foreign).tolist():
            contact = int(index[i])
            local = 1_000_000 + (contact * self._multiplier + self._shift) % FOREIGN_SPAN
            numbers[i] = f"{FOREIGN_PREFIXES[contact % len(FOREIGN_PREFIXES)]}{local}"
        return numbers

    def country(self, index: np.ndarray) -> np.ndarray:
        """Index into `COUNTRIES` of each contact's country (0 = BR)."""
        index = np.asarray(index, dtype=np.int64)
        return np.where(index < self.foreign, 1 + index % len(FOREIGN_PREFIXES), 0)
