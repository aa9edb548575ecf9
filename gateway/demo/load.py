"""``flask --app gateway demo load``: a small demo network for trying the gateway locally.

Six institutions with their clients and partnerships, a coordinator for the admin UI, push
endpoints at the partner simulator, and (``gateway.demo.circulation``) supervision slots,
training resources and one green-channel referral waiting to be delivered. Private keys of the
demo partners are written to ``<instance>/demo/`` (mode 0600, outside git) so that a developer
can sign client assertions as those partners.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from joserfc.jwk import ECKey

from adapters.simulator import HOSPITAL_PATH, SCHOOL_PATH
from gateway.db import transaction
from gateway.demo import circulation
from gateway.models import (
    AuthMethod,
    CoordinatorRole,
    Exchange,
    InstitutionKind,
    PartnershipStatus,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.coordination import accounts
from gateway.services.network import clients, endpoints, institutions, partnerships
from gateway.services.referrals import sla
from keys.store import ensure_private_dir, write_private_json

demo_cli = AppGroup("demo", help="Demo network.")
DEMO = Actor.system("demo")
REGION = "shanghai-minhang"
NETWORK = [
    ("示范大学 Demo University", InstitutionKind.UNIVERSITY, "CN",
     ["referrals:read", "referrals:write", "consents:read", "consents:write", "cases:read",
      "cases:write", "resources:read", "resources:write", "bookings:read", "bookings:write"]),
    ("闵行第一中学 Minhang No.1 Middle School", InstitutionKind.MIDDLE_SCHOOL, "CN",
     ["referrals:read", "referrals:write", "consents:read", "consents:write", "cases:read",
      "cases:write", "resources:read", "bookings:read", "bookings:write"]),
    ("闵行实验小学 Minhang Experimental Primary School", InstitutionKind.PRIMARY_SCHOOL, "CN",
     ["consents:read", "consents:write", "resources:read"]),
    ("江川社区心理服务中心 Jiangchuan Community Centre", InstitutionKind.COMMUNITY_CENTRE, "CN",
     ["resources:read", "bookings:read"]),
    ("闵行区精神卫生中心 Minhang Mental Health Centre", InstitutionKind.HOSPITAL, "CN",
     ["referrals:read", "referrals:write"]),
    ("心晴心理咨询中心 Xinqing Counselling Agency", InstitutionKind.COUNSELLING_AGENCY, "CN",
     ["referrals:read", "referrals:write"]),
]
# (first, second, exchanges) by index into NETWORK: the university is the hub
PARTNERSHIPS = [
    (0, 4, [Exchange.REFERRAL]),
    (0, 5, [Exchange.REFERRAL]),
    (1, 4, [Exchange.REFERRAL]),
    (0, 1, [Exchange.SUPERVISION, Exchange.TRAINING_RESOURCES]),
    (0, 2, [Exchange.SUPERVISION, Exchange.TRAINING_RESOURCES]),
    (0, 3, [Exchange.SUPERVISION, Exchange.TRAINING_RESOURCES]),
]


def _demo_key(directory: Path, slug: str) -> dict:
    """Generate a partner's private key, keep it in ``directory``, return the public JWKS."""
    key = ECKey.generate_key("P-256", parameters={"kid": f"{slug}-1", "alg": "ES256"},
                             private=True)
    write_private_json(directory / f"{slug}.jwk.json", key.as_dict(private=True))
    return {"keys": [key.as_dict(private=False)]}


def _demo_delivery(session, member_ids: list) -> dict:
    """Point the members at the partner simulator (``python -m adapters.simulator``)."""
    base = current_app.config.get("DEMO_SIMULATOR_URL", "http://127.0.0.1:8100")
    signing: dict[str, list[str]] = {"hospital": [], "school": []}
    for index, (_name, kind, _country, _scopes) in enumerate(NETWORK):
        fhir = kind is InstitutionKind.HOSPITAL
        configured = endpoints.configure(
            session, DEMO, format_name="fhir_r4" if fhir else "webhook",
            url=base + (HOSPITAL_PATH if fhir else SCHOOL_PATH), institution_id=member_ids[index])
        signing["hospital" if fhir else "school"].append(configured.secret)
        if fhir:
            sla.set_policy(session, DEMO, member_ids[index], receipt_minutes=15,
                           decision_minutes=120, on_call_contact="demo on-call pager")
    return {"simulator": base, "hospital_secrets": signing["hospital"],
            "school_secrets": signing["school"]}


@demo_cli.command("load")
def demo_load() -> None:
    """Create the demo network once: institutions, clients, coordinator, slots, a referral."""
    directory = ensure_private_dir(Path(current_app.instance_path) / "demo")
    if (directory / "network.json").exists():
        click.echo(f"demo network already loaded; see {directory / 'network.json'}")
        return
    summary: dict = {"issuer": current_app.config["ISSUER"], "partners": []}
    member_ids, actors = [], []
    with transaction(current_app) as session:
        admin = clients.register(session, DEMO, name="Regional coordination", institution_id=None,
                                 auth_method=AuthMethod.CLIENT_SECRET_BASIC,
                                 scopes=["network:admin"])
        summary["admin"] = {"client_id": admin.client.client_id,
                            "client_secret": admin.client_secret}
        for index, (name, kind, country, scopes) in enumerate(NETWORK, start=1):
            institution = institutions.register(session, DEMO, name=name, kind=kind,
                                                region=REGION, country=country)
            member_ids.append(institution.id)
            slug = f"{index:02d}-{kind.value}"
            registration = clients.register(
                session, DEMO, name=f"{name} gateway client", institution_id=institution.id,
                auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=scopes,
                jwks=_demo_key(directory, slug))
            actors.append(Actor(registration.client.client_id, institution.id, frozenset(scopes)))
            summary["partners"].append({
                "institution_id": str(institution.id), "name": name, "kind": kind.value,
                "client_id": registration.client.client_id,
                "private_key_file": str(directory / f"{slug}.jwk.json"),
            })
        now = utcnow()
        for first, second, exchanges in PARTNERSHIPS:
            partnership = partnerships.propose(
                session, DEMO, institution_ids=(member_ids[first], member_ids[second]),
                exchanges=exchanges, valid_from=now, valid_until=now + timedelta(days=365))
            partnerships.change_status(session, DEMO, partnership.id, PartnershipStatus.ACTIVE)
        password = secrets.token_urlsafe(12)
        coordinator = accounts.create(session, DEMO, email="coordinator@demo.example",
                                          password=password, role=CoordinatorRole.COORDINATOR,
                                          region=REGION)
        summary["coordinator"] = {
            "sign_in": current_app.config["ISSUER"] + "/admin/sign-in",
            "email": coordinator.coordinator.email, "password": password,
            "totp_secret": coordinator.totp_secret,
            "totp_uri": coordinator.provisioning_uri,
            "current_code": ".venv/bin/python -c \"import pyotp; "
                            f"print(pyotp.TOTP('{coordinator.totp_secret}').now())\"",
        }
        summary["delivery"] = _demo_delivery(session, member_ids)
        summary["circulation"] = circulation.populate(session, actors[0], member_ids[4])
    write_private_json(directory / "network.json", summary)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
