"""The analyst's probabilities (SPEC 3.1): each world weighs the product of its
choices' p, each key's p divided by their sum; an item's probability is the sum over
the worlds where it holds, exact, rounded to 6 places; its ICD 203 word."""

from __future__ import annotations

from fractions import Fraction
from typing import Optional

from ..model import LIKELIHOOD_WORDS

MILLION = 10**6

# SPEC 3.1: the upper end of each ICD 203 word's range, and whether it is in the range
WORDS = tuple(zip(
    (Fraction(5, 100), Fraction(20, 100), Fraction(45, 100), Fraction(55, 100), Fraction(80, 100), Fraction(95, 100)),
    (False, False, False, True, True, True),
    LIKELIHOOD_WORDS,
))


def world_weights(cs: list, worlds: list) -> list:
    """The probability of each world, exact: the product of its choices' p, each
    contested key's p divided by their sum (so that they sum to 1 exactly)."""
    shares = []
    for c in cs:
        total = sum(a.p for a in c.alternatives)
        shares.append([a.p / total if total else Fraction(0) for a in c.alternatives])
    out = []
    for world in worlds:
        w = Fraction(1)
        for share, i in zip(shares, world):
            w *= share[i]
        out.append(w)
    return out


def rounded(q: Fraction) -> Fraction:
    """q to 6 decimal places, a tie rounded up (0.0000005 -> 0.000001), as on paper."""
    return Fraction((q * MILLION * 2 + 1) // 2, MILLION)


def probability(weights: list, holding) -> Fraction:
    """The sum of the weights of the worlds where an item holds, rounded to 6 places."""
    return rounded(sum((weights[w] for w in holding), Fraction(0)))


def word(q: Fraction) -> Optional[str]:
    """The ICD 203 word for a probability already rounded; None for 0 and 1, which
    the status says (not triggered, triggered)."""
    if q <= 0 or q >= 1:
        return None
    for top, inclusive, name in WORDS:
        if q < top or (inclusive and q == top):
            return name
    return LIKELIHOOD_WORDS[-1]


def given(weights: list, worlds: list, holding: set, key: int, alternative: int) -> Optional[Fraction]:
    """The probability that an item holds given that one hypothesis is true (the worlds
    that take it), rounded; None when that hypothesis has no weight."""
    taking = [w for w, world in enumerate(worlds) if world[key] == alternative]
    total = sum((weights[w] for w in taking), Fraction(0))
    if not total:
        return None
    return rounded(sum((weights[w] for w in taking if w in holding), Fraction(0)) / total)
