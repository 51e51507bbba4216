"""The CSAT arithmetic, pure (no ORM): the KPI, its Wilson lower bound, response and offered rates,
and the grouping of plain rating facts into tallies. The report feeds it counts from SQL; the tests
feed it a hand-written data set.

Definitions (handbook, Support Engineer Ops):
- CSAT = good / (good + bad); surveys not offered or not answered are not in it.
- response rate = answered surveys / offered surveys.
- offered rate = offered surveys / eligible solves, where an eligible solve is a solve cycle whose
  survey time came (offered, or not offered because of an exclusion); a cycle reopened before its
  survey went out is not a solve that counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Tally:
    eligible: int = 0  # survey cycles whose survey time came
    offered: int = 0  # of those, surveys sent
    responded: int = 0  # of those, surveys answered good or bad
    good: int = 0  # every good rating (surveys, mid-ticket feedback, logged feedback)
    bad: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.eligible + other.eligible,
            self.offered + other.offered,
            self.responded + other.responded,
            self.good + other.good,
            self.bad + other.bad,
        )

    @property
    def rated(self) -> int:
        return self.good + self.bad

    @property
    def csat(self) -> float | None:
        return ratio(self.good, self.rated)

    @property
    def csat_lower(self) -> float | None:
        return wilson_lower(self.good, self.rated)

    @property
    def response_rate(self) -> float | None:
        return ratio(self.responded, self.offered)

    @property
    def offered_rate(self) -> float | None:
        return ratio(self.offered, self.eligible)

    def meets(self, target: float) -> bool | None:
        """Whether CSAT reaches `target`; None without ratings."""
        value = self.csat
        return None if value is None else value >= target


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson_lower(successes: int, n: int, z: float = Z_95) -> float | None:
    """Lower bound of the Wilson score interval for a proportion (95 % by default).

    With 3 good out of 3 the point estimate is 100 % but the bound is 43.9 %: a small week is not
    read as a trend."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} not in 0..{n}")
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


@dataclass(frozen=True)
class Fact:
    """One rating row, reduced to what the KPI needs."""

    kind: str  # "survey", "feedback", "logged"
    score: str  # "unoffered", "offered", "good", "bad"
    excluded: bool = False  # a survey whose time came but was not sent (an exclusion)
    dims: dict[str, Hashable] = field(default_factory=dict)

    def tally(self) -> Tally:
        rated = self.score in ("good", "bad")
        survey = self.kind == "survey"
        offered = survey and self.score != "unoffered"
        return Tally(
            eligible=int(survey and (offered or self.excluded)),
            offered=int(offered),
            responded=int(survey and rated),
            good=int(self.score == "good"),
            bad=int(self.score == "bad"),
        )


def total(facts: Iterable[Fact]) -> Tally:
    out = Tally()
    for fact in facts:
        out = out + fact.tally()
    return out


def group(facts: Iterable[Fact], key: str | Callable[[Fact], Hashable]) -> dict[Hashable, Tally]:
    """Tallies per value of dimension `key` (a name in `Fact.dims`, or a function)."""
    get = key if callable(key) else (lambda f: f.dims.get(key))
    out: dict[Hashable, Tally] = {}
    for fact in facts:
        k = get(fact)
        out[k] = out.get(k, Tally()) + fact.tally()
    return out


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"
