"""Translation to and from partner formats (iCalendar, FHIR R4, signed JSON webhooks, …)."""
