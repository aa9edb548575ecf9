"""A hospital's hand-back as a FHIR ``Communication`` on the referral's Task.

HL7 BSeR and SDOH Clinical Care return the recipient's feedback as a resource linked to the
referral's Task; here that resource is a Communication whose ``partOf`` is ``Task/{id}`` (and
``basedOn``, if given, the same referral's ``ServiceRequest/{id}``). Its one ``payload`` is the
discharge advice for the school (``contentString``); the structured part is one complex
extension (:data:`HAND_BACK`):

- ``followUpAfter`` (0..12, ``valueDuration`` in UCUM days ``d``): the recommended follow-ups,
  counted from the hand-back;
- ``returnToSchoolAdvised`` (1..1, ``valueBoolean``);
- ``returnOn`` (0..1, ``valueDate``): from when return to school is advised.

:func:`parse_hand_back` only maps; the REST API's schema and the hand-back service judge the
content, so both paths refuse the same things.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir.resources.R4B.communication import Communication
from pydantic import ValidationError

from adapters.fhir import Malformed, Unmappable, referenced
from adapters.fhir_resources import drop_empty, ref

HAND_BACK = "urn:gateway:hand-back"
UCUM = "http://unitsofmeasure.org"
CATEGORY = {"coding": [{"system": "urn:gateway:communication-category", "code": "hand-back"}]}


@dataclass(frozen=True)
class HandBackMessage:
    """What the Communication says, in the words of the REST hand-back (not yet checked)."""

    referral_id: str
    fields: dict


def _validated(document: object) -> Communication:
    if not isinstance(document, dict) or document.get("resourceType") != "Communication":
        raise Malformed("the body must be a FHIR Communication resource")
    if "id" in document:
        raise Malformed("a new Communication has no id; the gateway assigns it")
    try:
        return Communication.model_validate(document)
    except (ValidationError, ValueError) as exc:
        where = "; ".join(".".join(str(p) for p in error["loc"]) or "Communication"
                          for error in getattr(exc, "errors", list)()[:5])
        raise Malformed(f"not a valid FHIR R4 Communication ({where or 'invalid'})") from None


def _referral(message: Communication) -> str:
    parents = [referenced(part, "Task", "Communication.partOf") for part in message.partOf or []]
    parents += [referenced(based, "ServiceRequest", "Communication.basedOn")
                for based in message.basedOn or []]
    if not message.partOf or len(set(parents)) != 1:
        raise Unmappable("Communication.partOf must name the referral's Task (and basedOn, if "
                         "given, its ServiceRequest)")
    return parents[0]


def _days(duration) -> int | float:
    if duration is None or duration.system != UCUM or duration.code != "d" \
            or duration.value is None:
        raise Unmappable(f"followUpAfter must be a valueDuration in days ({UCUM} code d)")
    value = duration.value
    return int(value) if value == int(value) else float(value)


def _structured(message: Communication) -> dict:
    parts = [e for e in message.extension or [] if e.url == HAND_BACK]
    if len(parts) != 1:
        raise Unmappable(f"a hand-back Communication carries one extension {HAND_BACK}")
    fields: dict = {"follow_up_after_days": []}
    for part in parts[0].extension or []:
        if part.url == "followUpAfter":
            fields["follow_up_after_days"].append(_days(part.valueDuration))
        elif part.url == "returnToSchoolAdvised" and "return_to_school_advised" not in fields:
            fields["return_to_school_advised"] = part.valueBoolean
        elif part.url == "returnOn" and "return_on" not in fields and part.valueDate:
            fields["return_on"] = part.valueDate.isoformat()
        else:
            raise Unmappable(f"{HAND_BACK} holds followUpAfter, one returnToSchoolAdvised "
                             "and at most one returnOn")
    return {key: value for key, value in fields.items() if value is not None}


def parse_hand_back(document: object) -> HandBackMessage:
    """Map a hospital's Communication (the body of ``POST Communication``) onto a hand-back."""
    message = _validated(document)
    if message.status != "completed":
        raise Unmappable("a hand-back Communication has status completed")
    payloads = message.payload or []
    if len(payloads) != 1 or payloads[0].contentString is None:
        raise Unmappable("Communication.payload must be one contentString: the discharge "
                         "advice")
    return HandBackMessage(_referral(message), {
        **_structured(message), "discharge_advice": payloads[0].contentString})


def hand_back_receipt(hand_back: dict) -> dict:
    """The recorded hand-back as a Communication, without the advice (never echoed)."""
    follow_ups = [{"url": "followUpAfter", "valueDuration": {
        "value": days, "unit": "days", "system": UCUM, "code": "d"}}
        for days in hand_back["follow_up_after_days"]]
    structured = [*follow_ups, {"url": "returnToSchoolAdvised",
                                "valueBoolean": hand_back["return_to_school_advised"]}]
    if hand_back.get("return_on"):
        structured.append({"url": "returnOn", "valueDate": hand_back["return_on"]})
    document = drop_empty({
        "resourceType": "Communication", "id": hand_back["id"], "status": "completed",
        "extension": [{"url": HAND_BACK, "extension": structured}],
        "category": [CATEGORY],
        "partOf": [ref("Task", hand_back["referral_id"])],
        "basedOn": [ref("ServiceRequest", hand_back["referral_id"])],
        "sent": hand_back["created_at"],
    })
    Communication.model_validate(document)
    return document
