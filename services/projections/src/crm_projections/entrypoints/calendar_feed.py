"""An owner's activities as an iCalendar (RFC 5545) feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event

STATUS = {"scheduled": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}


def ics_feed(owner: str, activities: Iterable[dict[str, Any]]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//CRM platform//activities//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"CRM activities of {owner}")
    for activity in sorted(activities, key=lambda a: (a["starts_at"], a["_id"])):
        event = Event()
        event.add("uid", f"{activity['_id']}@crm")
        event.add("summary", activity["title"])
        event.add("dtstart", datetime.fromisoformat(activity["starts_at"]))
        event.add("dtend", datetime.fromisoformat(activity["ends_at"]))
        event.add("dtstamp", datetime.fromisoformat(activity["scheduled_at"]))
        event.add("status", STATUS[activity["status"]])
        event.add("categories", [activity["kind"]])
        event.add("description", f"{activity['kind']} with customer {activity['customer_id']}")
        if activity.get("location"):
            event.add("location", activity["location"])
        calendar.add_component(event)
    return bytes(calendar.to_ical())
