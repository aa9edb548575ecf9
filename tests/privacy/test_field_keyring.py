"""The field keyring: values decrypt under their context only, and a value read again is
answered from the keyring's bounded memory, never across keyrings or for a tampered value."""

from __future__ import annotations

import pytest

from keys.field import (
    PLAINTEXTS_KEPT,
    REMEMBERED_TEXT_CHARS,
    FieldKeyring,
    UndecryptableValue,
)

CONTEXT = "referrals.personal_data"


@pytest.fixture
def keyring(tmp_path) -> FieldKeyring:
    FieldKeyring.generate(tmp_path / "field")
    return FieldKeyring.load(tmp_path / "field")


def test_a_value_read_again_is_not_decrypted_again(keyring):
    token = keyring.encrypt("张三", CONTEXT)
    assert keyring.decrypt(token, CONTEXT) == "张三"
    assert keyring.decrypt(token, CONTEXT) == "张三"
    info = keyring._remembered_decrypt.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_a_remembered_value_still_opens_under_its_own_context_only(keyring):
    token = keyring.encrypt("张三", CONTEXT)
    keyring.decrypt(token, CONTEXT)
    with pytest.raises(UndecryptableValue):
        keyring.decrypt(token, "subjects.birth_date")


def test_a_tampered_value_is_refused_every_time(keyring):
    token = keyring.encrypt("张三", CONTEXT)
    fmt, kid, wrapped, body = token.split(".")
    tampered = ".".join((fmt, kid, wrapped, body[:-2] + ("AA" if body[-2:] != "AA" else "BA")))
    for _ in range(2):
        with pytest.raises(UndecryptableValue):
            keyring.decrypt(tampered, CONTEXT)
    assert keyring._remembered_decrypt.cache_info().currsize == 0


def test_a_keyring_without_the_kek_refuses_what_another_remembered(keyring, tmp_path):
    token = keyring.encrypt("张三", CONTEXT)
    assert keyring.decrypt(token, CONTEXT) == "张三"
    FieldKeyring.generate(tmp_path / "other")
    without = FieldKeyring.load(tmp_path / "other")  # the old KEK removed, say
    with pytest.raises(UndecryptableValue):
        without.decrypt(token, CONTEXT)


def test_the_memory_is_bounded(keyring):
    tokens = [keyring.encrypt(str(n), CONTEXT) for n in range(PLAINTEXTS_KEPT + 10)]
    assert [keyring.decrypt(t, CONTEXT) for t in tokens] == [str(n) for n in
                                                            range(PLAINTEXTS_KEPT + 10)]
    assert keyring._remembered_decrypt.cache_info().currsize == PLAINTEXTS_KEPT


def test_a_long_value_is_never_remembered(keyring):
    """An attachment's content, say: kept, a few thousand of them would fill the process."""
    long = "x" * REMEMBERED_TEXT_CHARS
    token = keyring.encrypt(long, "referral_attachments.content")
    assert len(token) > REMEMBERED_TEXT_CHARS
    assert keyring.decrypt(token, "referral_attachments.content") == long
    assert keyring.decrypt(token, "referral_attachments.content") == long
    assert keyring._remembered_decrypt.cache_info().currsize == 0
