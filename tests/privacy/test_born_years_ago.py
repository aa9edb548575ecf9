"""The tests' birth-date builder makes the age it promises, whatever the day (29 February too)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.services.privacy.policy import age_on
from tests.factories.privacy import born_years_ago

# the builder looks 10 days back: these days reach 29 February of a leap year or the 28th
LEAP_DAYS = [date(2024, 2, 29) + timedelta(days=n) for n in range(-3, 15)]


@pytest.mark.parametrize("today", LEAP_DAYS, ids=str)
@pytest.mark.parametrize("years", [13, 14, 17, 18])
def test_born_years_ago_gives_that_age_around_29_february(today, years):
    born = date.fromisoformat(born_years_ago(years, today))
    assert age_on(born, today) == years


def test_born_years_ago_defaults_to_today():
    assert age_on(date.fromisoformat(born_years_ago(16)), date.today()) == 16
