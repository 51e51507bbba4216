"""The pure pieces: durations, SLA badges, clock rows and the SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.web import charts
from switchboard.web.presenters import clock_row, format_duration, sla_badge

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(seconds=20), "<1m"),
        (5 * M, "5m"),
        (72 * M, "1h 12m"),
        (120 * M, "2h"),
        (timedelta(days=3, hours=4, minutes=5), "3d 4h"),
        (timedelta(days=2), "2d"),
        (-72 * M, "1h 12m"),
    ],
)
def test_format_duration(delta, text):
    assert format_duration(delta) == text


def test_badge_green_with_time_left():
    badge = sla_badge(NOW + 3 * 60 * M, None, NOW)
    assert (badge.text, badge.level) == ("3h", "ok")


def test_badge_amber_under_two_hours():
    badge = sla_badge(NOW + 72 * M, None, NOW)
    assert (badge.text, badge.level) == ("1h 12m", "warn")


def test_badge_red_when_past_due():
    badge = sla_badge(NOW - 5 * M, None, NOW)
    assert (badge.text, badge.level) == ("breached 5m ago", "breached")


def test_unanswered_breach_wins_over_the_next_running_clock():
    badge = sla_badge(NOW + 600 * M, NOW - 90 * M, NOW)
    assert (badge.text, badge.level) == ("breached 1h 30m ago", "breached")


def test_badge_without_sla():
    assert sla_badge(None, None, NOW).level == "none"


def test_badge_just_breached():
    assert sla_badge(NOW, None, NOW).text == "breached"


def _row(**kw):
    base = {
        "metric": "First reply time",
        "state": "running",
        "left": None,
        "due_at": None,
        "breached_at": None,
        "stopped_at": None,
        "now": NOW,
    }
    base.update(kw)
    return clock_row(**base)


def test_clock_rows():
    assert _row(state="fulfilled").text == "met"
    assert _row(state="cancelled").level == "none"
    assert _row(state="breached", stopped_at=NOW).text == "breached (answered)"
    assert _row(state="breached", breached_at=NOW - 5 * M).text == "breached 5m ago"
    assert _row(state="paused", left=90 * M).text == "paused, 1h 30m left"
    assert _row(state="running", left=90 * M).level == "warn"
    assert _row(state="running", left=300 * M).text == "5h left"
    assert _row(state="running", left=-3 * M).level == "breached"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def test_grouped_bar_chart_has_one_bar_per_value_and_scales_to_the_max():
    svg = charts.grouped_bar_chart(
        ["Mar 01", "Mar 02", "Mar 03"],
        [
            charts.Series("Created", [2, 10, 0], "series-created"),
            charts.Series("Solved", [1, 5, 3], "series-solved"),
        ],
        title="Created <vs> solved",
    )
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 6
    heights = [float(r.get("height")) for r in bars]
    assert max(heights) == pytest.approx(260 - 24 - 28)  # 10 is the axis max: full height
    assert heights[4] == 0  # a zero draws no bar
    assert "Created &lt;vs&gt; solved" in svg


def test_grouped_bar_chart_rejects_mismatched_series():
    with pytest.raises(ValueError):
        charts.grouped_bar_chart(["a"], [charts.Series("x", [1, 2], "c")], title="t")


def test_percent_bar_chart_labels_and_colours():
    svg = charts.percent_bar_chart(
        [
            charts.PercentRow("Priority", 19, 1),
            charts.PercentRow("Standard", 3, 1),
            charts.PercentRow("None", 0, 0),
            charts.PercentRow("Other", 1, 4),
        ],
        title="SLA",
    )
    _parse(svg)
    assert "95% (19/20)" in svg and "75% (3/4)" in svg and "no data" in svg
    assert 'class="bar-ok"' in svg and 'class="bar-breached"' in svg


def test_percent_bar_chart_empty():
    assert "no data" in charts.percent_bar_chart([], title="SLA")


def test_bar_chart_writes_each_value():
    svg = charts.bar_chart(["< 1 d", "> 30 d"], [7, 0], title="Backlog & age")
    root = _parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "7" in texts and "0" in texts and "< 1 d" in texts


@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (260, 500)])
def test_nice_max(value, top):
    assert charts.nice_max(value) == top


def test_history_events_read_as_sentences():
    """Audit events in words: names for ids, labels for stored values, both kinds of comment."""
    from switchboard.web.presenters import channel_label, describe_event

    names = {("user", 1): "Ann", ("group", 2): "Tier 2", ("field", 9): "Region code"}
    labels = {("status", "open"): "Open", ("status", "solved"): "Solved", ("field", 9): "Region"}

    def say(**kw):
        base = {"kind": "Change", "field": "", "from_value": None, "to_value": None}
        return describe_event(**{**base, "comment_public": None, **kw}, names=names, labels=labels)

    assert say(field="assignee", from_value=None, to_value=1) == "assignee: — → Ann"
    assert say(field="assignee", from_value=1, to_value=7) == "assignee: Ann → user 7 (deleted)"
    assert say(field="group", to_value=2) == "group: — → Tier 2"
    assert say(field="status", from_value="open", to_value="solved") == "status: Open → Solved"
    assert say(field="ccs", from_value=[], to_value=[1]) == "CCs: — → Ann"
    assert (
        say(field="tags", from_value=["a", "b"], to_value=["b", "c"]) == "tags: added c; removed a"
    )
    assert say(field="custom_fields", to_value={"9": "EU"}) == "custom fields: — → Region: EU"
    assert say(field="comment_redacted", to_value=5) == "redacted secrets in a comment"
    assert say(kind="Create", field="subject", to_value="Help") == "subject: Help"
    assert say(kind="Comment", comment_public=True) == "added a public reply"
    assert say(kind="Comment", comment_public=False) == "added an internal note"
    assert say(kind="Comment") == "added a comment (since deleted)"
    assert channel_label("web", "end_user") == "portal"
    assert channel_label("web", "agent") == "agent workspace"
    assert channel_label("system", None) == "automation"
    assert channel_label("api", "agent") == "API"
