"""Alerts: messages that must reach a person (webhook, else e-mail; listed until acknowledged).

Other domains call :func:`raise_alert` in the same transaction as the alert's cause.
"""

from gateway.services.alerts.raising import raise_alert

__all__ = ["raise_alert"]
