"""params/schedule.yaml says in its comments when each entry runs: the comment must be what
`run-due` does (a week of slots of the real loader), not what one might expect."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from reportlib.deliver import schedule
from tests.conftest import REPO

PARAMS = REPO / "params"
DAYS = {"every morning": set(range(7)), "every day": set(range(7)),
        "every weekday": set(range(5)), "mondays": {0}, "on the 1st": None}


def said(name: str) -> str:
    """The comment on an entry's `- name:` line of the file."""
    text = (PARAMS / "schedule.yaml").read_text(encoding="utf-8")
    found = re.search(rf"- name: {re.escape(name)}\s*#(.*)", text)
    assert found, f"no comment on entry {name}"
    return found.group(1).lower()


def weekdays_run(entry: schedule.Entry) -> set[int]:
    """The weekdays on which the entry has a slot, over two weeks of the real schedule."""
    zone, days = ZoneInfo("America/Sao_Paulo"), set()
    for offset in range(14):
        day = date(2026, 11, 2) + timedelta(days=offset)
        end = datetime.combine(day, entry.at, tzinfo=zone) + timedelta(minutes=1)
        slot = schedule.latest_slot(entry, end)
        if slot is not None and slot.date() == day:
            days.add(day.weekday())
    return days


def test_each_entrys_comment_says_the_days_it_runs():
    for entry in schedule.load(PARAMS):
        comment = said(entry.name)
        claims = [days for words, days in DAYS.items() if words in comment and days is not None]
        if entry.cadence in ("daily", "weekly"):
            assert claims, f"{entry.name}: its comment does not say which days it runs"
        for days in claims:
            assert weekdays_run(entry) == days, (entry.name, comment)
