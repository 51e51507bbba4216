"""On-call layer time restrictions in a real browser (Debian's Chromium, headless): an admin adds
a window as a row and saves it; a bad time is refused next to its row."""

from __future__ import annotations

import re

import pytest

from switchboard.oncall.tests.test_browser_oncall import open_layer_in_admin

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_admin_adds_a_restriction_row_and_a_bad_time_is_refused_by_the_row(page):
    layer, _ = open_layer_in_admin(page)
    rows = page.locator("table.restriction-rows tr.restriction-row")
    assert rows.count() == 1  # no windows yet: one empty row to add one
    page.select_option("select[aria-label='Window 1']", "weekly")
    page.select_option("select[aria-label='From day 1']", label="Monday")
    page.fill("input[aria-label='From 1']", "09:00")
    page.select_option("select[aria-label='To day 1']", label="Friday")
    page.fill("input[aria-label='To 1']", "17:30")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/oncall/schedulelayer/$"))
    layer.refresh_from_db()
    assert layer.restrictions == [
        {"kind": "weekly", "start_weekday": 0, "start_time": "09:00", "duration_minutes": 6270}
    ]

    # a second window whose end time is left out: refused, with the message in that row
    page.goto(f"/admin/oncall/schedulelayer/{layer.pk}/change/")
    assert rows.count() == 2
    page.select_option("select[aria-label='Window 2']", "daily")
    page.fill("input[aria-label='From 2']", "08:00")
    page.evaluate("document.querySelector(\"input[aria-label='To 2']\").value = ''")
    page.click("input[name=_save]")
    error = page.locator("tr.restriction-row.has-error .row-error")
    error.wait_for()
    assert "Row 2:" in error.inner_text() and "end time" in error.inner_text()
    assert page.input_value("input[aria-label='From 2']") == "08:00"  # what was typed is kept
    layer.refresh_from_db()
    assert len(layer.restrictions) == 1
