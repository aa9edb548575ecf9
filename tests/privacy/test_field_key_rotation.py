"""Field-key rotation: a new KEK wraps new values, old ones stay readable; rewrap in batches."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from gateway import create_app
from gateway.db import engine_of
from gateway.keystore import EXTENSION_KEY
from keys import Keyring
from keys.field import FieldKeyring, UndecryptableValue
from tests.factories.privacy import NAME
from tests.privacy_support import make_scene


@pytest.fixture
def rotating_app(app, tmp_path):
    """The gateway on the session database with its own copy of the key directory."""
    keys = tmp_path / "keys"
    shutil.copytree(app.config["KEY_DIR"], keys)
    config = {**app.config, "KEY_DIR": str(keys), "INSTANCE_PATH": str(tmp_path)}
    return create_app({k: config[k] for k in ("TESTING", "DATABASE_URL", "KEY_DIR",
                                                   "INSTANCE_PATH", "ISSUER")})


def _field_keyring(app) -> FieldKeyring:
    return app.extensions[EXTENSION_KEY].field


def _kids(app) -> set[str]:
    with engine_of(app).connect() as connection:
        values = connection.execute(text(
            "SELECT summary FROM referrals UNION ALL SELECT personal_data FROM referrals "
            "UNION ALL SELECT birth_date FROM subjects UNION ALL SELECT payload FROM outbox"))
        return {FieldKeyring.kid_of(v) for (v,) in values if v is not None}


def _scene(app, make_partner, link):
    client = app.test_client()

    def token_for(partner):
        return client.post("/oauth/token", data=partner.token_form()).get_json()["access_token"]

    return make_scene(client, make_partner, token_for, link)


def test_rotate_then_rewrap_in_batches(rotating_app, make_partner, link):
    scene = _scene(rotating_app, make_partner, link)
    scene.consent(["identity", "clinical_notes"])
    first = scene.refer().get_json()
    old_kid = _field_keyring(rotating_app).current_kid
    assert _kids(rotating_app) == {old_kid}

    runner = rotating_app.test_cli_runner()
    rotated = runner.invoke(args=["keys", "rotate-field"])
    assert rotated.exit_code == 0, rotated.output

    restarted = create_app({k: rotating_app.config[k] for k in (
        "TESTING", "DATABASE_URL", "KEY_DIR", "INSTANCE_PATH", "ISSUER")})
    new_kid = _field_keyring(restarted).current_kid
    assert new_kid != old_kid
    scene = _scene(restarted, make_partner, link)
    scene.consent(["identity", "clinical_notes"])
    second = scene.refer().get_json()
    assert _kids(restarted) == {old_kid, new_kid}
    assert scene.read(second["id"]).status_code == 200

    result = restarted.test_cli_runner().invoke(args=["keys", "rewrap", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    # the first referral's summary and personal data, its consent's note, and the outbox
    # message that told the hospital about it
    assert "rewrapped 4 values in 2 batches" in result.output
    assert _kids(restarted) == {new_kid}
    again = restarted.test_cli_runner().invoke(args=["keys", "rewrap"])
    assert "rewrapped 0 values" in again.output

    # the old KEK is no longer needed to read anything
    only_new = FieldKeyring({new_kid: _field_keyring(restarted).keks[new_kid]}, new_kid)
    with engine_of(restarted).connect() as connection:
        token = connection.execute(text("SELECT personal_data FROM referrals WHERE id = :id"),
                                   {"id": first["id"].replace("-", "")
                                    if connection.dialect.name == "sqlite"
                                    else first["id"]}).scalar_one()
    assert NAME in only_new.decrypt(token, "referrals.personal_data")


def test_two_apps_in_one_process_each_use_their_own_field_keys(app, make_partner, link,
                                                               tmp_path):
    """The keyring belongs to the app: creating a second app does not re-key the first."""
    other_keys = tmp_path / "other-keys"
    Keyring.initialise(other_keys)
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                        "KEY_DIR": str(other_keys), "INSTANCE_PATH": str(tmp_path),
                        "ISSUER": app.config["ISSUER"]})
    ours, theirs = _field_keyring(app).current_kid, _field_keyring(other).current_kid
    assert ours != theirs
    scene = _scene(app, make_partner, link)  # the first app, created before the other
    scene.consent(["identity", "clinical_notes"])
    referral = scene.refer().get_json()
    assert _kids(app) == {ours}
    assert scene.read(referral["id"]).get_json()["identity"]["name"] == NAME
    with pytest.raises(UndecryptableValue):  # the other app cannot read what the first one wrote
        _field_keyring(other).decrypt(_raw_personal_data(app, referral["id"]),
                                      "referrals.personal_data")


def _raw_personal_data(app, referral_id: str) -> str:
    with engine_of(app).connect() as connection:
        key = referral_id.replace("-", "") if connection.dialect.name == "sqlite" else referral_id
        return connection.execute(text("SELECT personal_data FROM referrals WHERE id = :id"),
                                  {"id": key}).scalar_one()
