"""Consent: the one place that decides whether personal data about a student may be shared.

:func:`authorise` answers for every exchange: which of the requested data categories may go to
the recipient, under which consents (or which break-glass release), and if not, why not.
:func:`authorise_many` answers a page of such questions with the same rules (one ``_decide``)
on facts loaded for the whole page in a few queries, or joined to the page's own rows
(:func:`with_facts`); :func:`authorise` is that path for one.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    null,
    select,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from gateway.models import (
    BreakGlassRelease,
    Consent,
    DataCategory,
    Exchange,
    Grantor,
    Institution,
    InstitutionKind,
    Partnership,
    Purpose,
    Subject,
    utcnow,
)
from gateway.services import row_queue
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import ConsentRequired, Forbidden, InvalidInput, NotFound
from gateway.services.network import institutions, partnerships
from gateway.services.privacy import memo, subjects
from gateway.services.privacy.policy import Policy, age_on

MAX_VALIDITY = timedelta(days=366)
EXCHANGE_OF = {
    Purpose.REFERRAL: Exchange.REFERRAL,
    Purpose.GREEN_CHANNEL_REFERRAL: Exchange.REFERRAL,
    Purpose.FOLLOW_UP: Exchange.REFERRAL,
    Purpose.CASE_CONFERENCE: Exchange.SUPERVISION,
    Purpose.SUPERVISION_CASE: Exchange.SUPERVISION,
}


@dataclass(frozen=True)
class SubjectRef:
    """A student as the gateway keys it: the holding institution and its subject key."""

    holder_id: uuid.UUID
    key: str


@dataclass(frozen=True)
class Decision:
    """The answer of :func:`authorise`.

    ``allowed`` means every requested category may go; ``categories`` is what may go in any
    case (a subset of the request, possibly empty), so a read can show the minimised record.
    """

    allowed: bool
    categories: frozenset[DataCategory] = frozenset()
    consent_ids: tuple[uuid.UUID, ...] = ()
    breakglass_id: uuid.UUID | None = None
    breakglass_expires_at: datetime | None = None
    reason: str | None = None
    missing: dict = field(default_factory=dict)

    @property
    def consent_id(self) -> uuid.UUID | None:
        """The first consent the decision rests on (the one a referral records)."""
        return self.consent_ids[0] if self.consent_ids else None

    @property
    def audit_detail(self) -> dict:
        """What the audit entry of an exchange under this decision records (no personal data)."""
        detail: dict = {"categories": sorted(c.value for c in self.categories)}
        if self.breakglass_id:
            detail.update(breakglass=True, breakglass_id=str(self.breakglass_id))
        if len(self.consent_ids) > 1:
            detail["consent_ids"] = [str(c) for c in self.consent_ids]
        return detail


def _own_institution(actor: Actor) -> uuid.UUID:
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may do this.")
    return actor.institution_id


def grant(
    session: Session,
    actor: Actor,
    *,
    subject_key: str,
    grantor: Grantor,
    purpose: Purpose,
    data_categories: Iterable[DataCategory],
    valid_until: datetime,
    recipient_id: uuid.UUID | None = None,
    recipient_kinds: Iterable[InstitutionKind] | None = None,
    valid_from: datetime | None = None,
    subject_birth_date: date | None = None,
    policy: Policy,
) -> Consent:
    """Record a consent given to the actor's institution for one purpose and recipient.

    The recipient is one named institution, or institution kinds (which then must also have an
    active partnership with the holder at the time of each exchange).
    """
    holder = _own_institution(actor)
    kinds = sorted({kind.value for kind in recipient_kinds or ()})
    if (recipient_id is None) == (not kinds):
        raise InvalidInput("Name either a recipient institution or recipient kinds.")
    if recipient_id is not None:
        recipient = institutions.get_active(session, recipient_id)
        if recipient_id == holder:
            raise InvalidInput("the recipient must be another institution.")
        if recipient.country != policy.network_country:
            raise InvalidInput("An institution outside the network's country receives no "
                               "personal data; no consent can change that.")
    categories = sorted({category.value for category in data_categories})
    if not categories:
        raise InvalidInput("A consent names at least one data category.")
    start = valid_from or utcnow()
    if valid_until <= start:
        raise InvalidInput("valid_until must be after valid_from.")
    if valid_until - start > MAX_VALIDITY:
        raise InvalidInput("a consent may be valid for at most 366 days.")
    if subject_birth_date is not None:
        subjects.record_birth_date(session, holder, subject_key, subject_birth_date)
    consent = Consent(
        institution_id=holder, subject_key=subject_key, grantor=grantor, purpose=purpose,
        recipient_id=recipient_id, recipient_kinds=kinds or None, data_categories=categories,
        valid_from=start, valid_until=valid_until, created_by=actor.client_id,
    )
    session.add(consent)
    session.flush()
    journal.record(session, actor, "consent.granted", "consent", consent.id, purpose=purpose.value,
                   consent_id=consent.id,
                   detail={"grantor": grantor.value, "categories": categories,
                           "recipient_id": str(recipient_id) if recipient_id else None,
                           "recipient_kinds": kinds or None})
    return consent


def get_own(session: Session, actor: Actor, consent_id: uuid.UUID) -> Consent:
    """A consent held by the actor's institution, or :class:`NotFound`."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.institution_id != _own_institution(actor):
        raise NotFound("No consent with that id.")
    return consent


def revoke(session: Session, actor: Actor, consent_id: uuid.UUID, reason: str) -> Consent:
    """Revoke a consent; from now on it covers no exchange (see ``services.revocation``)."""
    consent = get_own(session, actor, consent_id)
    if consent.revoked_at is not None:
        raise InvalidInput("the consent is already revoked.")
    consent.revoked_at = utcnow()
    consent.revocation_reason = reason
    consent.revoked_by = actor.client_id
    journal.record(session, actor, "consent.revoked", "consent", consent.id,
                   purpose=consent.purpose.value, consent_id=consent.id)
    session.flush()
    return consent


@dataclass(frozen=True)
class Question:
    """One question to the engine: may ``data_categories`` about ``subject`` go to the recipient?"""

    subject: SubjectRef
    purpose: Purpose
    recipient_id: uuid.UUID
    data_categories: frozenset[DataCategory]
    breakglass_id: uuid.UUID | None = None


class Standing(NamedTuple):
    """What the rules read of an institution (a row of the facts statement, not an ORM entity)."""

    id: uuid.UUID
    kind: InstitutionKind
    region: str
    country: str
    active: bool


CONSENT_COLUMNS = (Consent.id, Consent.institution_id, Consent.grantor, Consent.purpose,
                   Consent.recipient_id, Consent.recipient_kinds, Consent.data_categories,
                   Consent.valid_from, Consent.valid_until, Consent.revoked_at)
CONSENT_ORDER = (Consent.created_at, Consent.id)  # oldest first, as the rules read them
_CONSENT_NAMES = tuple(column.key for column in CONSENT_COLUMNS)
HeldConsent = namedtuple("HeldConsent", (*_CONSENT_NAMES, "categories"))
"""An unrevoked consent as the rules read it: :data:`CONSENT_COLUMNS` by their names, taken
from a row of the facts statement (:func:`_facts`), of a caller's query handed to
:func:`remember_loaded` or of one made by :func:`with_facts`, and its ``data_categories`` as
a set of :class:`DataCategory` (``categories``); not an ORM entity. A
named tuple, not the query's ``Row``: the rules read each consent's columns many times per
decision, and a ``Row`` answers each through a failed lookup and its ``__getattr__``."""
_held_columns = attrgetter(*_CONSENT_NAMES)
_CATEGORIES_AT = _CONSENT_NAMES.index("data_categories")


def _held(row: Row | tuple, columns: attrgetter = _held_columns) -> HeldConsent:
    """The consent on ``row``, its :data:`CONSENT_COLUMNS` read by ``columns``."""
    values = columns(row)
    return HeldConsent(*values, category_set(tuple(values[_CATEGORIES_AT])))


@lru_cache(maxsize=256)  # consents and referrals mostly name the same few category lists
def category_set(names: tuple[str, ...]) -> frozenset[DataCategory]:
    """The data categories of these stored names."""
    return frozenset(map(DataCategory, names))


def unrevoked_of(holder: ColumnElement, key: ColumnElement) -> ColumnElement[bool]:
    """The join condition of a (holder, subject)'s unrevoked consents: the consents the
    decision reads, whichever query loads them (ordered by :data:`CONSENT_ORDER`)."""
    return and_(Consent.institution_id == holder, Consent.subject_key == key,
                Consent.revoked_at.is_(None))


def standing_of(institution: Institution) -> Standing:
    """What the rules read of an institution a caller loaded as an entity."""
    return Standing(institution.id, institution.kind, institution.region, institution.country,
                    institution.active)


@dataclass(frozen=True)
class _Facts:
    """Everything the rules read, loaded for a batch of questions in a few queries."""

    now: datetime
    institutions: dict[uuid.UUID, Standing]
    birth_dates: dict[tuple[uuid.UUID, str], date]
    consents: dict[tuple[uuid.UUID, str, Purpose], list[HeldConsent]]  # only purposes with some
    partnerships: dict[tuple[uuid.UUID, uuid.UUID], list[Partnership]]
    releases: dict[uuid.UUID, BreakGlassRelease]


def _may_ask(actor: Actor, question: Question) -> bool:
    return actor.institution_id in (question.subject.holder_id, question.recipient_id)


# every decision that loads its facts asks this, as plain rows of the columns the rules read:
# the (holder, subject) pairs known to either table, each with its birth date (if recorded) and
# its unrevoked consents (if any); and the institutions asked about, each a row of its own with
# no subject key. Each list is bound as parameters of its own, padded to a power of two by
# repeating its last value (an IN list's duplicates change nothing), so a statement is built
# and compiled once per shape and executes without SQLAlchemy expanding lists per execution
# (about 0.1 ms of an inbox page's 20 students)
_LISTS = ("holders", "keys", "institutions")


def _padded(values: list) -> list:
    return values + values[-1:] * ((1 << (len(values) - 1).bit_length()) - len(values))


@cache
def _facts(holders: int, keys: int, institutions: int) -> Select:
    """The facts statement for lists of these (padded) lengths, bound as ``holders_0``..."""
    def listed(name: str, count: int, column: InstrumentedAttribute) -> list[BindParameter]:
        return [bindparam(f"{name}_{n}", type_=column.type) for n in range(count)]

    holder_ids = listed("holders", holders, Subject.institution_id)
    subject_keys = listed("keys", keys, Subject.subject_key)
    known = union(
        select(Subject.institution_id.label("holder"), Subject.subject_key.label("key")).where(
            Subject.institution_id.in_(holder_ids), Subject.subject_key.in_(subject_keys)),
        select(Consent.institution_id, Consent.subject_key).where(
            Consent.institution_id.in_(holder_ids), Consent.subject_key.in_(subject_keys),
            Consent.revoked_at.is_(None)),
        select(Institution.id, null()).where(
            Institution.id.in_(listed("institutions", institutions, Institution.id))),
    ).subquery("known")
    return (
        select(known.c.holder, known.c.key, Institution.kind, Institution.region,
               Institution.country, Institution.active, Subject.birth_date, *CONSENT_COLUMNS)
        .select_from(known)
        .outerjoin(Institution, and_(Institution.id == known.c.holder, known.c.key.is_(None)))
        .outerjoin(Subject, and_(Subject.institution_id == known.c.holder,
                                 Subject.subject_key == known.c.key))
        .outerjoin(Consent, unrevoked_of(known.c.holder, known.c.key))
        .order_by(*CONSENT_ORDER))


# a row of the facts statement as a named tuple of its column names: the loop below and the
# held consents read some fifteen of its columns per row, and SQLAlchemy's Row answers each
# through a failed lookup and its __getattr__
FactsRow = namedtuple("FactsRow", _facts(1, 1, 1).selected_columns.keys())


def _facts_rows(session: Session, **lists: list) -> list[FactsRow]:
    padded = {name: _padded(lists[name]) for name in _LISTS}
    params = {f"{name}_{n}": value for name, values in padded.items()
              for n, value in enumerate(values)}
    statement = _facts(*(len(padded[name]) for name in _LISTS))
    return list(map(FactsRow._make, row_queue.plain_rows(session, statement, params)))


Consents = dict[tuple[uuid.UUID, str, Purpose], list[HeldConsent]]

# the facts statement's columns as :func:`with_facts` joins them to a caller's rows
_HOLDER = aliased(Institution, name="fact_holder_institution")
_RECIPIENT = aliased(Institution, name="fact_recipient_institution")
_HELD_NAMES = tuple(f"held_{name}" for name in _CONSENT_NAMES)
_held_joined_columns = attrgetter(*_HELD_NAMES)


def with_facts(query: Select, holder: ColumnElement, key: ColumnElement,
               recipient: ColumnElement) -> Select:
    """``query`` (a SELECT from one subquery, each row a question about the subject ``key`` of
    ``holder`` to ``recipient``) with what deciding that question reads joined to each row:
    the holder's and the recipient's standing, the subject's recorded birth date and its
    unrevoked consents, one row per consent (one row with nulls if none), for the caller to
    order by :data:`CONSENT_ORDER` within its own order. Its rows, handed to
    :func:`authorise_many` as ``joined``, spare the facts statement: one statement a page
    instead of two. The columns it adds are named ``fact_*``, ``holder_*``, ``recipient_*``
    and ``held_*``."""
    return (
        query.add_columns(
            holder.label("fact_holder"), key.label("fact_key"), recipient.label("fact_recipient"),
            _HOLDER.kind.label("holder_kind"), _HOLDER.region.label("holder_region"),
            _HOLDER.country.label("holder_country"), _HOLDER.active.label("holder_active"),
            _RECIPIENT.kind.label("recipient_kind"), _RECIPIENT.region.label("recipient_region"),
            _RECIPIENT.country.label("recipient_country"),
            _RECIPIENT.active.label("recipient_active"),
            Subject.birth_date.label("fact_birth_date"),
            *(column.label(name) for column, name in zip(CONSENT_COLUMNS, _HELD_NAMES,
                                                         strict=True)))
        .outerjoin(_HOLDER, _HOLDER.id == holder)
        .outerjoin(_RECIPIENT, _RECIPIENT.id == recipient)
        .outerjoin(Subject, and_(Subject.institution_id == holder, Subject.subject_key == key))
        .outerjoin(Consent, unrevoked_of(holder, key)))


def _by_kind(questions: list[Question], consents: Consents) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The (holder, recipient) pairs whose partnerships a consent naming kinds needs."""
    by_kind_holders = {(holder, key) for (holder, key, _purpose), held in consents.items()
                       if any(c.recipient_id is None for c in held)}
    return {(q.subject.holder_id, q.recipient_id) for q in questions
            if (q.subject.holder_id, q.subject.key) in by_kind_holders}


Gathered = tuple[dict[uuid.UUID, Standing], dict[tuple[uuid.UUID, str], date], Consents]
"""The institutions found, the (holder, subject) pairs' birth dates and unrevoked consents."""


def _gathered(session: Session, questions: list[Question]) -> Gathered:
    """The facts statement's rows for ``questions``, gathered (see :func:`_load`)."""
    asked = {(q.subject.holder_id, q.subject.key) for q in questions}
    found: dict[uuid.UUID, Standing] = {}
    birth_dates: dict[tuple[uuid.UUID, str], date] = {}
    consents: Consents = {}
    if asked:
        ids = {holder for holder, _ in asked} | {q.recipient_id for q in questions}
        rows = _facts_rows(session, holders=list({h for h, _ in asked}),
                           keys=list({k for _, k in asked}), institutions=list(ids))
        for row in rows:  # an institution; or per pair known, one row per consent or one
            if row.key is None:
                found[row.holder] = Standing(row.holder, row.kind, row.region, row.country,
                                             row.active)
                continue
            pair = (row.holder, row.key)
            if pair not in asked:  # the holders and keys asked, crossed
                continue
            if row.birth_date is not None and pair not in birth_dates:
                birth_dates[pair] = date.fromisoformat(row.birth_date)
            if row.id is not None:
                consents.setdefault((*pair, row.purpose), []).append(_held(row))
    return found, birth_dates, consents


def _gathered_from_joined(questions: list[Question], rows: Iterable[tuple]) -> Gathered:
    """The facts :func:`with_facts` joined to a caller's rows, gathered as :func:`_gathered`
    gathers the facts statement's: each institution once, each pair's birth date and each of
    its consents once (a pair on several rows repeats them), a consent's order kept."""
    found: dict[uuid.UUID, Standing] = {}
    birth_dates: dict[tuple[uuid.UUID, str], date] = {}
    consents: Consents = {}
    pairs, kept = set(), set()
    for row in rows:
        pair = (row.fact_holder, row.fact_key)
        pairs.add(pair)
        if row.fact_holder not in found and row.holder_kind is not None:
            found[row.fact_holder] = Standing(row.fact_holder, row.holder_kind, row.holder_region,
                                              row.holder_country, row.holder_active)
        if row.fact_recipient not in found and row.recipient_kind is not None:
            found[row.fact_recipient] = Standing(row.fact_recipient, row.recipient_kind,
                                                 row.recipient_region, row.recipient_country,
                                                 row.recipient_active)
        if row.fact_birth_date is not None and pair not in birth_dates:
            birth_dates[pair] = date.fromisoformat(row.fact_birth_date)
        if row.held_id is not None and row.held_id not in kept:
            kept.add(row.held_id)
            consents.setdefault((*pair, row.held_purpose), []).append(
                _held(row, _held_joined_columns))
    unseen = {(q.subject.holder_id, q.subject.key) for q in questions} - pairs
    if unseen:  # a caller's bug: deciding on facts never loaded would deny, or worse
        raise ValueError(f"{len(unseen)} questions' facts are not among the joined rows")
    return found, birth_dates, consents


def _load(session: Session, questions: list[Question],
          joined: Iterable[tuple] | None = None) -> _Facts:
    """Load what deciding ``questions`` needs: at most three queries, whatever their number.

    One query (:func:`_facts`) finds the institutions asked about and, for every (holder,
    subject) asked about, its recorded birth date and its unrevoked consents by purpose (every
    purpose, so that facts remembered for one question answer the request's others), oldest
    first; a purpose without any is absent. Rows of a caller's query made by
    :func:`with_facts` (``joined``) hold the same facts, and take that query's place.
    """
    found, birth_dates, consents = (_gathered(session, questions) if joined is None
                                    else _gathered_from_joined(questions, joined))
    release_ids = {q.breakglass_id for q in questions
                   if q.breakglass_id is not None and q.purpose is Purpose.GREEN_CHANNEL_REFERRAL}
    releases = ({r.id: r for r in session.scalars(
        select(BreakGlassRelease).where(BreakGlassRelease.id.in_(release_ids)))}
        if release_ids else {})
    return _Facts(
        now=utcnow(), institutions=found, birth_dates=birth_dates, consents=consents,
        partnerships=partnerships.active_between(session, _by_kind(questions, consents)),
        releases=releases)


def remember_loaded(session: Session, subject: SubjectRef, recipient_id: uuid.UUID, *,
                    found: dict[uuid.UUID, Institution], birth_date: str | None,
                    rows: Iterable[Row], active: list[Partnership]) -> None:
    """Remember, as the facts of a question about ``subject`` to ``recipient_id`` without a
    break-glass release, what the caller's own query loaded: both institutions (those that
    exist), the subject's recorded birth date, every unrevoked consent of it (rows with
    :data:`CONSENT_COLUMNS`, joined by :func:`unrevoked_of`, ordered by
    :data:`CONSENT_ORDER`; a row without a consent, or one repeated, is skipped) and the
    active partnerships of the two. :func:`authorise` then decides on them as on facts it
    loaded itself, and forgets them as those on any change."""
    consents: Consents = {}
    seen: set[uuid.UUID] = set()
    for row in rows:
        if row.id is not None and row.id not in seen:
            seen.add(row.id)
            consents.setdefault((subject.holder_id, subject.key, row.purpose),
                                []).append(_held(row))
    question = [Question(subject, Purpose.REFERRAL, recipient_id, frozenset())]
    by_kind = {partnerships.ordered(a, b): active for a, b in _by_kind(question, consents)}
    facts = _Facts(
        now=utcnow(), institutions={id_: standing_of(i) for id_, i in found.items()},
        birth_dates=({(subject.holder_id, subject.key): date.fromisoformat(birth_date)}
                     if birth_date else {}),
        consents=consents, partnerships=by_kind, releases={})
    memo.remembered(session, _memo_key(question), lambda: facts)


def _names_recipient(facts: _Facts, consent: HeldConsent, recipient: Standing) -> bool:
    if consent.recipient_id is not None:
        return consent.recipient_id == recipient.id
    if recipient.kind.value not in (consent.recipient_kinds or ()):
        return False
    exchanges = ([EXCHANGE_OF[consent.purpose]] if consent.purpose in EXCHANGE_OF
                 else list(Exchange))
    return any(partnerships.covers(facts.partnerships, consent.institution_id, recipient.id,
                                   exchange, facts.now)
               for exchange in exchanges)


def _open_release(facts: _Facts, question: Question) -> BreakGlassRelease | None:
    release = facts.releases.get(question.breakglass_id) if question.breakglass_id else None
    subject = question.subject
    if (release is None or release.institution_id != subject.holder_id
            or release.subject_key != subject.key
            or release.recipient_id != question.recipient_id):
        return None
    return release if release.open_at(facts.now) else None


def _deny(reason: str, categories: frozenset[DataCategory] = frozenset(),
          consent_ids: tuple[uuid.UUID, ...] = (), **missing: object) -> Decision:
    return Decision(False, categories, consent_ids, reason=reason, missing=missing)


def _decide(actor: Actor, question: Question, facts: _Facts, policy: Policy) -> Decision:
    """The rules (see :func:`authorise`), applied to facts already loaded."""
    subject, purpose, recipient_id = question.subject, question.purpose, question.recipient_id
    requested = question.data_categories
    if not _may_ask(actor, question):
        return _deny("the caller is neither the holder nor the recipient")
    holder = facts.institutions.get(subject.holder_id)
    recipient = facts.institutions.get(recipient_id)
    if holder is None or recipient is None or not recipient.active:
        return _deny("the recipient is not an active member of the network")
    if recipient.country != policy.network_country:
        return _deny("the recipient is outside the network's country (cross-border guard)",
                     cross_border=True)
    now = facts.now
    birth_date = facts.birth_dates.get((subject.holder_id, subject.key))
    age = age_on(birth_date, now.date()) if birth_date else None
    required = policy.age_rule(holder.region).required_grantors(age)
    # the model's own validity rule, read on the row's columns
    in_force = [c for c in facts.consents.get((subject.holder_id, subject.key, purpose), ())
                if Consent.is_valid_at(c, now) and _names_recipient(facts, c, recipient)]
    used = tuple(c.id for c in in_force if c.grantor in required)
    absent = sorted(g.value for g in required if all(c.grantor is not g for c in in_force))
    granted: frozenset[DataCategory] = frozenset()
    if not absent:  # a category goes only if every required grantor's consents name it
        granted = frozenset.intersection(*(
            frozenset().union(*(c.categories for c in in_force if c.grantor is g))
            for g in required))
    if not absent and requested <= granted:
        return Decision(True, requested, used)
    if purpose is Purpose.GREEN_CHANNEL_REFERRAL:
        release = _open_release(facts, question)
        if release is not None:
            return Decision(True, requested, breakglass_id=release.id,
                            breakglass_expires_at=release.expires_at)
    if absent:
        who = " and ".join(absent)
        return _deny(f"a {who} consent for '{purpose.value}' to this recipient is missing",
                     grantors=absent, purpose=purpose.value,
                     recipient_institution_id=str(recipient_id))
    return _deny("the consent does not cover every requested data category",
                 requested & granted, used, purpose=purpose.value,
                 recipient_institution_id=str(recipient_id),
                 data_categories=sorted(c.value for c in requested - granted))


def _memo_key(questions: list[Question]) -> frozenset:
    """What ``_load`` reads for each question: a release only for a green-channel question,
    and consents of every purpose, so questions of other purposes share the facts."""
    return frozenset((q.subject.holder_id, q.subject.key, q.recipient_id,
                      q.breakglass_id if q.purpose is Purpose.GREEN_CHANNEL_REFERRAL else None)
                     for q in questions)


def authorise_many(session: Session, actor: Actor, questions: Iterable[Question], *,
                   policy: Policy, joined: Iterable[tuple] | None = None) -> list[Decision]:
    """:func:`authorise` for many questions at once (a page of a list), in order.

    The same rules on the same data, loaded in a constant number of queries for the whole batch,
    or taken from ``joined``: the rows of the caller's query made by :func:`with_facts`, read in
    this transaction, which must hold every question's subject (else ``ValueError``).
    """
    asked = list(questions)
    distinct = list(dict.fromkeys(asked))  # a page often asks the same question again
    allowed = [q for q in distinct if _may_ask(actor, q)]
    facts = memo.remembered(session, _memo_key(allowed),
                            lambda: _load(session, allowed, joined))
    decided = {q: _decide(actor, q, facts, policy) for q in distinct}
    return [decided[q] for q in asked]


def authorise(
    session: Session,
    actor: Actor,
    subject: SubjectRef,
    purpose: Purpose,
    recipient_id: uuid.UUID,
    data_categories: Iterable[DataCategory | str],
    *,
    breakglass_id: uuid.UUID | None = None,
    policy: Policy,
) -> Decision:
    """Decide which of ``data_categories`` about ``subject`` may go to ``recipient_id``.

    Rules, in order: the actor is the holder or the recipient; the recipient is an active
    institution in the network's country; every grantor the subject's age requires (per the
    holder's region) has a consent in force for this purpose naming this recipient (or its kind
    within an active partnership); a category goes only if each required grantor's consents
    name it. A green-channel referral may instead rest on an open break-glass release.
    :func:`authorise_many` answers many questions under the same rules.
    """
    question = Question(subject, purpose, recipient_id,
                        frozenset(DataCategory(c) for c in data_categories), breakglass_id)
    return authorise_many(session, actor, [question], policy=policy)[0]


def require(session: Session, actor: Actor, subject: SubjectRef, purpose: Purpose,
            recipient_id: uuid.UUID, data_categories: Iterable[DataCategory | str], *,
            breakglass_id: uuid.UUID | None = None, policy: Policy) -> Decision:
    """:func:`authorise`, raising :class:`ConsentRequired` (naming what is missing) if denied."""
    decision = authorise(session, actor, subject, purpose, recipient_id, data_categories,
                         breakglass_id=breakglass_id, policy=policy)
    if not decision.allowed:
        raise ConsentRequired(f"Refused: {decision.reason}.", missing_consent=decision.missing)
    return decision
