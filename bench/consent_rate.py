"""Consent decisions per second, in process: the rule engine a request asks once."""

from __future__ import annotations

import time

from flask import Flask

from bench.cases import SUBJECTS
from bench.network import Member
from gateway.db import transaction
from gateway.keystore import current_keyring
from gateway.models import DataCategory, Purpose
from gateway.privacy import current_policy
from gateway.services.actor import Actor
from gateway.services.privacy import consent, memo, subjects

BATCH = 100  # questions of a list page, decided together


def decisions_per_second(app: Flask, university: Member, hospital: Member,
                         seconds: float) -> dict[str, float]:
    """Decisions/s of :func:`consent.authorise` with its rows loaded each time (a request's
    first decision) and on facts the transaction remembers (its next ones, ``privacy/memo``),
    and of :func:`consent.authorise_many` over a page of ``BATCH`` questions about the bench's
    students in turn (as a page of referrals asks)."""
    actor = Actor(client_id=university.client_id, institution_id=university.institution_id,
                  scopes=frozenset({"referrals:write"}))
    with app.app_context(), transaction(app) as session:
        policy = current_policy()
        pseudonyms = current_keyring().pseudonyms
        refs = [consent.SubjectRef(university.institution_id, subjects.subject_key(
            pseudonyms, university.institution_id, name)) for name in SUBJECTS]
        subject = refs[0]  # bench.cases.SUBJECT, the single decisions' student
        categories = frozenset({DataCategory.CLINICAL_NOTES})
        page_questions = [consent.Question(refs[index % len(refs)], Purpose.REFERRAL,
                                           hospital.institution_id, categories)
                          for index in range(BATCH)]

        def one() -> int:
            decision = consent.authorise(session, actor, subject, Purpose.REFERRAL,
                                         hospital.institution_id, categories, policy=policy)
            if not decision.allowed:
                raise RuntimeError(f"bench: consent refused ({decision.reason})")
            return 1

        def loaded() -> int:  # a request's first decision: its rows read from the database
            memo.forget(session)
            return one()

        def page() -> int:
            memo.forget(session)
            decisions = consent.authorise_many(session, actor, page_questions, policy=policy)
            if not all(decision.allowed for decision in decisions):
                raise RuntimeError("bench: a page's consent refused")
            return len(decisions)

        return {"single, rows loaded": _rate(loaded, seconds),
                "single, facts remembered": _rate(one, seconds),
                f"page of {BATCH}, rows loaded": _rate(page, seconds)}


def _rate(decide, seconds: float) -> float:
    decide()  # warm up
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        count += decide()
    return count / elapsed
