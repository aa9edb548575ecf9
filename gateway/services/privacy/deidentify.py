"""De-identification of free text that travels without consent: direct identifiers are masked.

The sender is asked to write de-identified case material; this is the gateway's safety net for
the identifiers that have a recognisable shape (ID-card, phone and student numbers, e-mail).
"""

from __future__ import annotations

import re

MASK = "[已隐去/redacted]"
PATTERNS = (
    re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])"),      # resident ID card number
    re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"),  # mainland mobile number
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # e-mail address
    re.compile(r"(?<!\d)\d{6,}(?!\d)"),                   # student, staff or phone numbers
)


def scrub(text: str) -> str:
    """``text`` with identifiers of a known shape replaced by a mask."""
    for pattern in PATTERNS:
        text = pattern.sub(MASK, text)
    return text
