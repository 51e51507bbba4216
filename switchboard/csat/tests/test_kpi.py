"""The KPI arithmetic (pure), on the hand-written data set and on known Wilson bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.csat import kpi
from switchboard.csat.tests import dataset as ds


def facts():
    return [
        kpi.Fact(kind, score, excluded, {"agent": a, "org": o, "week": w, "sla": sla})
        for kind, score, excluded, a, o, w, sla, _ in ds.ROWS
    ]


def as_tuple(t: kpi.Tally):
    return (t.eligible, t.offered, t.responded, t.good, t.bad)


def test_totals_of_the_hand_written_data_set():
    total = kpi.total(facts())
    assert as_tuple(total) == ds.EXPECTED_TOTAL
    assert total.csat == pytest.approx(ds.EXPECTED_CSAT)
    assert total.response_rate == pytest.approx(ds.EXPECTED_RESPONSE)
    assert total.offered_rate == pytest.approx(ds.EXPECTED_OFFERED)
    assert total.csat_lower == pytest.approx(ds.EXPECTED_WILSON, abs=5e-5)
    assert total.meets(0.95) is False
    assert kpi.percent(total.csat) == "66.7 %"


@pytest.mark.parametrize(
    ("key", "expected"),
    [("agent", ds.EXPECTED_BY_AGENT), ("week", ds.EXPECTED_BY_WEEK), ("sla", ds.EXPECTED_BY_SLA)],
)
def test_groupings_of_the_hand_written_data_set(key, expected):
    assert {k: as_tuple(t) for k, t in kpi.group(facts(), key).items()} == expected


@pytest.mark.parametrize(
    ("good", "n", "lower"),
    [(3, 3, 0.4385), (95, 100, 0.8882), (6, 9, 0.3542), (0, 5, 0.0), (1, 3, 0.0615)],
)
def test_wilson_lower_bound_known_values(good, n, lower):
    """3 good of 3 is 100 % but its lower bound is 43.9 %: not a trend."""
    assert kpi.wilson_lower(good, n) == pytest.approx(lower, abs=5e-5)


def test_empty_is_none_not_zero():
    empty = kpi.Tally()
    assert (empty.csat, empty.csat_lower, empty.response_rate, empty.offered_rate) == (None,) * 4
    assert empty.meets(0.95) is None
    assert kpi.percent(None) == "—"
    with pytest.raises(ValueError):
        kpi.wilson_lower(4, 3)


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_bound_is_below_the_proportion_and_rises_with_n(good, n):
    good = min(good, n)
    lower = kpi.wilson_lower(good, n)
    assert lower is not None and 0 <= lower <= good / n + 1e-12
    # the same proportion with 4× the ratings is more certain
    bigger = kpi.wilson_lower(good * 4, n * 4)
    assert bigger is not None and bigger >= lower - 1e-12
