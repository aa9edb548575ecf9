"""Risk factors (风险因素): a fixed list of codes a case may carry, with Chinese and English labels.

The codes a case carries are clinical information: stored encrypted with the case, so the ledger
filters on them after decrypting, never in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.services.errors import InvalidInput

# code → (zh, en); the order is the order they are shown in.
RISK_FACTORS: dict[str, tuple[str, str]] = {
    "family_hardship": ("家庭经济困难", "Family financial hardship"),
    "family_conflict": ("家庭矛盾或变故", "Family conflict or upheaval"),
    "bereavement": ("亲人离世", "Bereavement"),
    "academic_collapse": ("学业受挫", "Academic failure"),
    "relationship_breakup": ("恋爱受挫", "Break-up"),
    "discipline": ("违纪处分", "Disciplinary sanction"),
    "bullying": ("遭受欺凌", "Bullied"),
    "unusual_behaviour": ("言行异常", "Unusual words or behaviour"),
    "physical_illness": ("严重身体疾病", "Serious physical illness"),
    "prior_self_harm": ("既往自伤或自杀未遂", "Earlier self-harm or suicide attempt"),
    "left_behind": ("留守或缺少监护", "Left-behind or without guardian care"),
    "employment_pressure": ("就业压力", "Job-seeking pressure"),
}


def normalise(codes: Iterable[str]) -> list[str]:
    """The codes in list order, once each; :class:`InvalidInput` naming any unknown code."""
    given = set(codes)
    unknown = sorted(given - set(RISK_FACTORS))
    if unknown:
        raise InvalidInput("Unknown risk factor code.", unknown=unknown,
                           allowed=list(RISK_FACTORS))
    return [code for code in RISK_FACTORS if code in given]
