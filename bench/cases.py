"""The bench's cases: rows a case needs (made over HTTP, as a partner would) and its requests."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests

from bench.loadgen import Request
from bench.network import Member

# the students referred, each with a consent: an inbox page holds as many different students
# as a real one does (one student for every referral made a page's consent facts one row)
STUDENTS = int(os.environ.get("BENCH_STUDENTS", "20"))
SUBJECTS = [f"bench-student-{number}" for number in range(1, STUDENTS + 1)]
SUBJECT = SUBJECTS[0]
# accepted referrals the read and Task-update cases cycle over
REFERRALS = int(os.environ.get("BENCH_REFERRALS", "100"))
SLOTS = 50  # group slots of BOOKING_CAPACITY seats the booking case fills
BOOKING_CAPACITY = 200
DEEP_ITEMS = 1000  # the deep page starts after this many inbox items (or as deep as there are)
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TIMEOUT = 60


def _expect(response: requests.Response, status: int) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"bench: {response.request.method} {response.request.path_url} "
                           f"answered {response.status_code}: {response.text[:300]}")
    return response.json()


def referral_body(recipient: Member, subject: str = SUBJECT) -> dict:
    """The referral a create sends about ``subject``."""
    return {"recipient_institution_id": str(recipient.institution_id), "subject_ref": subject,
            "priority": "routine", "reason": "anxiety_symptoms", "summary": "Benchmark referral."}


@dataclass
class Scene:
    """The live gateway, its three members and the rows the cases work on."""

    url: str
    university: Member
    hospital: Member
    school: Member
    http: requests.Session
    referral_ids: list[str]
    slot_ids: list[str]
    baseline_row: str = ""  # the baseline app's row the audited-read cases read
    inbox_depth: int = 0  # items before the deep page
    booked: int = 0  # booking requests written so far (each names a new counsellor)

    def token(self, member: Member) -> str:
        """A fresh access token for ``member``."""
        return _expect(self.http.post(self.url + "/oauth/token",
                                      data=member.token_form(self.url), timeout=TIMEOUT),
                       200)["access_token"]

    def bearer(self, member: Member) -> dict[str, str]:
        """Authorization headers with a fresh token (a token lives 300 s: one per run)."""
        return {"Authorization": f"Bearer {self.token(member)}"}


def _task(referral_id: str, status: str = "accepted", **extra: object) -> dict:
    return {"resourceType": "Task", "id": referral_id, "status": status, "intent": "order",
            **extra}


def prepare(url: str, university: Member, hospital: Member, school: Member,
            http: requests.Session | None = None) -> Scene:
    """Consents, accepted referrals, a supervisor's group slots: the rows the cases need
    (made through ``http``, a requests session by default)."""
    scene = Scene(url, university, hospital, school, http or requests.Session(), [], [])
    uni, hosp = scene.bearer(university), scene.bearer(hospital)
    for subject in SUBJECTS:
        _expect(scene.http.post(url + "/api/v1/consents", headers=uni, timeout=TIMEOUT, json={
            "subject_ref": subject, "grantor": "student", "purpose": "referral",
            "subject_birth_date": "2004-03-01", "data_categories": ["clinical_notes"],
            "recipient_institution_id": str(hospital.institution_id),
            "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}), 201)
    for index in range(REFERRALS):
        body = referral_body(hospital, SUBJECTS[index % STUDENTS])
        created = _expect(scene.http.post(url + "/api/v1/referrals", headers=uni, json=body,
                                          timeout=TIMEOUT), 201)
        _expect(scene.http.put(f"{url}/fhir/R4/Task/{created['id']}", headers=hosp,
                               json=_task(created["id"]), timeout=TIMEOUT), 200)
        scene.referral_ids.append(created["id"])
    supervisor = _expect(scene.http.post(url + "/api/v1/supervisors", headers=uni, json={
        "display_name": "王老师", "qualification": "qualified_counsellor",
        "credential": "国家二级心理咨询师", "time_zone": "Asia/Shanghai"}, timeout=TIMEOUT), 201)
    first = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).replace(
        hour=14, minute=0, second=0, microsecond=0, tzinfo=None)
    slots = _expect(scene.http.post(
        f"{url}/api/v1/supervisors/{supervisor['id']}/availability", headers=uni, json={
            "kind": "group", "mode": "online", "capacity": BOOKING_CAPACITY,
            "local_start": first.isoformat(), "duration_minutes": 60,
            "rrule": f"FREQ=WEEKLY;COUNT={SLOTS}"}, timeout=TIMEOUT), 201)
    scene.slot_ids = [slot["id"] for slot in slots]
    return scene


def _deep_cursor(scene: Scene, headers: dict[str, str]) -> tuple[str | None, int]:
    """The inbox cursor after ``DEEP_ITEMS`` items (or the last full page) and its depth."""
    cursor, depth, last = None, 0, (None, 0)
    while depth < DEEP_ITEMS:
        query = {"box": "inbox", "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = _expect(scene.http.get(scene.url + "/api/v1/referrals", params=query,
                                      headers=headers, timeout=TIMEOUT), 200)
        if not page.get("next_cursor") or len(page["items"]) < 100:
            break
        cursor, depth = page["next_cursor"], depth + len(page["items"])
        last = (cursor, depth)
    return last


Builder = Callable[[Scene, int], list[Request]]
"""The requests of one run, given how many requests it may send at most."""


def token_issue(scene: Scene, count: int) -> list[Request]:
    """One fresh client assertion per request: a replayed one is refused."""
    return [Request("POST", "/oauth/token", FORM,
                    urlencode(scene.university.token_form(scene.url))) for _ in range(count)]


def referral_create(scene: Scene, _count: int) -> list[Request]:
    """The same referral about each consenting student in turn."""
    headers = {**JSON, **scene.bearer(scene.university)}
    return [Request("POST", "/api/v1/referrals", headers,
                    json.dumps(referral_body(scene.hospital, subject))) for subject in SUBJECTS]


def inbox_first(scene: Scene, _count: int) -> list[Request]:
    """The hospital's inbox, first page of 20 (referrals about 20 students, as made)."""
    return [Request("GET", "/api/v1/referrals?box=inbox&limit=20", scene.bearer(scene.hospital))]


def inbox_deep(scene: Scene, _count: int) -> list[Request]:
    """The hospital's inbox, a page of 20 after ``DEEP_ITEMS`` items (keyset cursor)."""
    headers = scene.bearer(scene.hospital)
    cursor, depth = _deep_cursor(scene, headers)
    scene.inbox_depth = depth
    query = urlencode({"box": "inbox", "limit": 20, **({"cursor": cursor} if cursor else {})})
    return [Request("GET", f"/api/v1/referrals?{query}", headers)]


def referral_read(scene: Scene, _count: int) -> list[Request]:
    """The hospital reads one of its referrals (audited, disclosed under consent)."""
    headers = scene.bearer(scene.hospital)
    return [Request("GET", f"/api/v1/referrals/{rid}", headers) for rid in scene.referral_ids]


def task_update(scene: Scene, _count: int) -> list[Request]:
    """The hospital's interim Task update (business status) on its accepted referrals."""
    headers = {**JSON, **scene.bearer(scene.hospital)}
    codes = ("under_review", "interim_report")  # event_scheduled would need appointment_at
    return [Request("PUT", f"/fhir/R4/Task/{rid}", headers, json.dumps(_task(
        rid, businessStatus={"coding": [{"system": "urn:gateway:business-status",
                                         "code": codes[index % 2]}]})))
            for index in range(len(codes)) for rid in scene.referral_ids]


def booking_create(scene: Scene, count: int) -> list[Request]:
    """A school books seats for distinct counsellors across the supervisor's slots."""
    headers = {**JSON, **scene.bearer(scene.school)}
    booked, scene.booked = scene.booked, scene.booked + count
    return [Request("POST", "/api/v1/bookings", headers, json.dumps({
        "slot_id": scene.slot_ids[index % len(scene.slot_ids)],
        "counsellor_ref": f"staff-{index}"})) for index in range(booked, booked + count)]


def bare_insert(scene: Scene, _count: int) -> list[Request]:
    """The baseline: parse the referral's JSON body and insert it as one row."""
    return [Request("POST", "/insert", JSON, json.dumps(referral_body(scene.hospital)))]


def audited_with_log(scene: Scene, _count: int) -> list[Request]:
    """The baseline app reads a row and audits it with the transparency log's append."""
    return [Request("GET", f"/audited/log/{scene.baseline_row}", {})]


def audited_with_plain_insert(scene: Scene, _count: int) -> list[Request]:
    """The same read, audited with a plain one-row insert instead."""
    return [Request("GET", f"/audited/plain/{scene.baseline_row}", {})]
