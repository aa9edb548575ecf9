"""Minimisation: which fields each data category covers, and their HL7 security labels.

A recipient's view holds only the fields of released categories; the others are absent (not
null). The labels are data for adapters (e.g. FHIR ``meta.security``): each category names its
HL7 v3 confidentiality code and its information-sensitivity codes (v3 ActCode).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from gateway.models import DataCategory

# Top-level keys of a referral view that belong to each category.
CATEGORY_FIELDS: Mapping[DataCategory, tuple[str, ...]] = {
    DataCategory.IDENTITY: ("identity",),  # name, date_of_birth
    DataCategory.CONTACT: ("contact",),  # phone
    DataCategory.GUARDIAN_CONTACT: ("guardian_contact",),  # name, relationship, phone
    DataCategory.RISK_ASSESSMENT: ("risk_assessment",),  # level, notes
    DataCategory.CLINICAL_NOTES: ("summary", "diagnosis_code", "outcome"),
    DataCategory.SCHOOL_RECORD: ("school_record",),  # grade, notes
}
PERSONAL_FIELDS = frozenset(name for names in CATEGORY_FIELDS.values() for name in names)
# (field, its category) for every field above: what categories_of looks at, flattened once
_FIELD_CATEGORIES = tuple((name, category) for category, names in CATEGORY_FIELDS.items()
                          for name in names)

CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY_DISPLAY = {"N": "normal", "R": "restricted", "V": "very restricted"}
CONFIDENTIALITY_ORDER = ("N", "R", "V")
SENSITIVITY_DISPLAY = {
    "DEMO": "all demographic information sensitivity",
    "DOB": "date of birth information sensitivity",
    "LOCIS": "location information sensitivity",
    "ADOL": "adolescent information sensitivity",
    "MH": "mental health information sensitivity",
    "BH": "behavioral health information sensitivity",
    "PSY": "psychiatry disorder information sensitivity",
    "PSYTHPN": "psychotherapy note information sensitivity",
    "ETH": "substance abuse information sensitivity",
}
# category -> (confidentiality code, sensitivity codes)
SECURITY_LABELS: Mapping[DataCategory, tuple[str, tuple[str, ...]]] = {
    DataCategory.IDENTITY: ("R", ("DEMO", "DOB")),
    DataCategory.CONTACT: ("R", ("DEMO", "LOCIS")),
    DataCategory.GUARDIAN_CONTACT: ("R", ("DEMO",)),
    DataCategory.RISK_ASSESSMENT: ("V", ("MH", "BH")),
    DataCategory.CLINICAL_NOTES: ("V", ("PSY", "MH", "PSYTHPN")),
    DataCategory.SCHOOL_RECORD: ("R", ("ADOL",)),
}


def categories_of(record: Mapping[str, object]) -> frozenset[DataCategory]:
    """The categories whose fields are present (not None) in ``record``."""
    return frozenset({category for name, category in _FIELD_CATEGORIES
                      if record.get(name) is not None})


def minimise(record: Mapping[str, object],
             categories: Iterable[DataCategory]) -> dict[str, object]:
    """``record`` without the fields of categories not in ``categories`` (dropped, not nulled)."""
    withheld = _withheld(frozenset(categories))
    return {key: value for key, value in record.items() if key not in withheld}


@cache  # one answer per set of categories (at most 2**6)
def _withheld(allowed: frozenset[DataCategory]) -> frozenset[str]:
    return frozenset(name for category, names in CATEGORY_FIELDS.items()
                     if category not in allowed for name in names)


def names(categories: Iterable[DataCategory]) -> list[str]:
    """The values of ``categories``, sorted (a view's ``released_categories``)."""
    return list(_names(frozenset(categories)))


@cache  # one answer per set of categories (at most 2**6); callers get their own lists
def _names(categories: frozenset[DataCategory]) -> tuple[str, ...]:
    return tuple(sorted(category.value for category in categories))


def security_labels(categories: Iterable[DataCategory]) -> list[dict[str, str]]:
    """HL7 codings for content of ``categories``: the highest confidentiality, then sensitivity.

    Shaped as FHIR ``Coding`` objects (system, code, display). Empty content is labelled ``N``.
    """
    return [dict(label) for label in _labels(frozenset(categories))]


@cache  # one answer per set of categories (at most 2**6); callers get their own copies
def _labels(categories: frozenset[DataCategory]) -> tuple[dict[str, str], ...]:
    chosen = sorted(categories, key=list(DataCategory).index)
    level = max((SECURITY_LABELS[c][0] for c in chosen), key=CONFIDENTIALITY_ORDER.index,
                default="N")
    labels = [{"system": CONFIDENTIALITY_SYSTEM, "code": level,
               "display": CONFIDENTIALITY_DISPLAY[level]}]
    seen: list[str] = []
    for category in chosen:
        seen.extend(code for code in SECURITY_LABELS[category][1] if code not in seen)
    labels.extend({"system": ACT_CODE_SYSTEM, "code": code, "display": SENSITIVITY_DISPLAY[code]}
                  for code in seen)
    return tuple(labels)
