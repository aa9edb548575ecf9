"""iCalendar (RFC 5545) export of bookings and supervisors' schedules, via ``icalendar``.

Events carry times in the supervisor's time zone (with its VTIMEZONE), a reminder alarm, and
no personal data beyond what the calendar's reader already sees: never case material.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from gateway.models import Booking, BookingStatus, Slot, SlotMode, utcnow

PRODID = "-//Circulation gateway//Supervision and case conferences//EN"
MEDIA_TYPE = "text/calendar"
STATUS_OF = {
    BookingStatus.WAITLISTED: "TENTATIVE",
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.ATTENDED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.DECLINED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
}
TITLES = {"individual": "个体督导 Individual supervision",
          "group": "团体督导 Group supervision",
          "case_conference": "个案研讨 Case conference"}


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, slot: Slot) -> Event:
    zone = ZoneInfo(slot.time_zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", slot.starts_at.astimezone(zone))
    event.add("dtend", slot.ends_at.astimezone(zone))
    event.add("summary", TITLES[slot.kind.value])
    event.add("location", slot.address if slot.mode is SlotMode.ON_SITE else "online")
    return event


def _reminder(before: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Supervision reminder")
    alarm.add("trigger", -before)
    return alarm


def _finish(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    return calendar.to_ical()


def booking_calendar(booking: Booking, slot: Slot, issuer: str) -> bytes:
    """One VEVENT for a booking, with its status and a reminder an hour before."""
    calendar = _calendar("Supervision booking")
    event = _event(f"booking-{booking.id}@{urlsplit(issuer).netloc}", slot)
    event.add("status", STATUS_OF[booking.status])
    event.add("description", f"Booking {booking.status.value}; "
                             f"seat {booking.seat or '-'} of {slot.capacity}.")
    if booking.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
        event.add_component(_reminder(timedelta(hours=1)))
    calendar.add_component(event)
    return _finish(calendar)


def schedule_calendar(slots: Iterable[Slot], issuer: str) -> bytes:
    """A supervisor's open slots, one VEVENT each."""
    calendar = _calendar("Supervision schedule")
    for slot in slots:
        event = _event(f"slot-{slot.id}@{urlsplit(issuer).netloc}", slot)
        event.add("status", "CONFIRMED")
        event.add("description", f"{slot.capacity} seat(s).")
        calendar.add_component(event)
    return _finish(calendar)
