"""Sign-in tokens: what is trusted and what is refused."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from contextgraph.service.auth import (
    AUDIENCE,
    ENV_AUDIENCE,
    ENV_ISSUER,
    ENV_PUBLIC_KEY,
    LOCAL_ISSUER,
    AuthError,
    LocalKeys,
    Verifier,
)

from .cli import cg


@pytest.fixture
def keys(tmp_path: Path) -> LocalKeys:
    return LocalKeys(tmp_path / "team.key.pem")


def claims(**kw: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "ana",
        "role": "analyst",
        "localities": ["East"],
        "iss": LOCAL_ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **kw}


def test_a_local_token_round_trips_and_its_key_is_private(keys: LocalKeys) -> None:
    p = keys.verifier().verify(keys.mint("ana", "analyst", ["East", "West"]))
    assert (p.user, p.role, p.localities, p.clearance) == ("ana", "analyst", ("East", "West"), "C")
    assert stat.S_IMODE(os.stat(keys.path).st_mode) == 0o600
    admin = keys.verifier().verify(keys.mint("root", "admin", []))
    assert admin.everywhere and not p.everywhere


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("none", "must be signed with"),
        ("expired", "expired"),
        ("audience", "not for this service"),
        ("issuer", "not from the expected issuer"),
        ("other key", "cannot be trusted"),
        ("tampered", "cannot be trusted"),
        ("hs256", "must be signed with"),
        ("garbage", "not a signed token"),
        ("no role", "role"),
        ("chair with C", "chair's clearance"),
        ("no locality", "no locality"),
        ("user with a zero-width space", "user name: holds a character that shows as nothing"),
        ("user with an override", r"user name: holds a control character \(\\u202e\)"),
        ("user with a look-alike letter", "mixes Latin, Cyrillic or Greek letters"),
        ("user with a grapheme joiner", r"shows as nothing \(\\u034f\)"),
        ("user in full-width letters", "compatibility form"),
        ("user with a space at the end", "begins or ends with a space"),
        ("user mixing Cyrillic and Greek", "mixes Latin, Cyrillic or Greek letters"),
        ("locality with a soft hyphen", r"locality of the token: holds a character that shows as nothing \(\\u00ad\)"),
    ],
)
def test_untrustworthy_tokens_are_refused(keys: LocalKeys, tmp_path: Path, bad: str, why: str) -> None:
    key = keys.private_key()
    if bad == "none":
        tok = jwt.encode(claims(), None, algorithm="none")
    elif bad == "expired":
        tok = jwt.encode(claims(exp=int(time.time()) - 3600), key, algorithm="ES256")
    elif bad == "audience":
        tok = jwt.encode(claims(aud="someone-else"), key, algorithm="ES256")
    elif bad == "issuer":
        tok = jwt.encode(claims(iss="https://evil.example"), key, algorithm="ES256")
    elif bad == "other key":
        tok = LocalKeys(tmp_path / "other.pem").mint("ana", "analyst", ["East"])
    elif bad == "tampered":
        head, body, sig = keys.mint("ana", "chair", ["East"]).split(".")
        forged = jwt.utils.base64url_encode(jwt.utils.base64url_decode(body).replace(b"chair", b"admin")).decode()
        tok = f"{head}.{forged}.{sig}"
    elif bad == "hs256":
        tok = jwt.encode(claims(), "a shared secret of at least thirty-two bytes!", algorithm="HS256")
    elif bad == "garbage":
        tok = "not-a-token"
    elif bad == "no role":
        tok = jwt.encode(claims(role=None), key, algorithm="ES256")
    elif bad == "chair with C":
        tok = jwt.encode(claims(role="chair", clearance="C"), key, algorithm="ES256")
    elif bad == "user with a zero-width space":  # in the access log as "ana", and not ana
        tok = jwt.encode(claims(sub="an\u200ba"), key, algorithm="ES256")
    elif bad == "user with an override":
        tok = jwt.encode(claims(sub="\u202eana"), key, algorithm="ES256")
    elif bad == "user with a look-alike letter":  # a Cyrillic а: in the access log as ana
        tok = jwt.encode(claims(sub="\u0430na"), key, algorithm="ES256")
    elif bad == "user with a grapheme joiner":
        tok = jwt.encode(claims(sub="ana\u034f"), key, algorithm="ES256")
    elif bad == "user in full-width letters":
        tok = jwt.encode(claims(sub="\uff41\uff4e\uff41"), key, algorithm="ES256")
    elif bad == "user with a space at the end":
        tok = jwt.encode(claims(sub="ana "), key, algorithm="ES256")
    elif bad == "user mixing Cyrillic and Greek":
        tok = jwt.encode(claims(sub="\u0418\u0432\u0430\u043d\u03bf\u0432"), key, algorithm="ES256")
    elif bad == "locality with a soft hyphen":
        tok = jwt.encode(claims(localities=["Ea\u00adst"]), key, algorithm="ES256")
    else:
        tok = jwt.encode(claims(localities=[]), key, algorithm="ES256")
    with pytest.raises(AuthError, match=why):
        keys.verifier().verify(tok)


def test_a_user_name_is_logged_in_one_form_and_names_of_every_script_are_let_in(keys: LocalKeys) -> None:
    """An accent written apart from its letter is the same user as the letter written whole; an
    Arabic name with its marks in the order a keyboard types them, a Persian name with its
    non-joiner, Welsh, Polish, Vietnamese, Greek and Cyrillic names all sign in."""
    verify, key = keys.verifier().verify, keys.private_key()
    assert verify(jwt.encode(claims(sub="zoe\u0308"), key, algorithm="ES256")).user == "zo\u00eb"
    for name in ("\u0645\u062d\u0645\u0651\u064e\u062f", "\u0639\u0644\u06cc\u200c\u0632\u0627\u062f\u0647",
                 "Siân Ffransis", "Łukasz Wójcik", "Nguyễn Thị", "Οδυσσέας", "Дмитрий", "O'Brien-Smith"):  # fmt: skip
        assert verify(jwt.encode(claims(sub=name), key, algorithm="ES256")).user


def test_provider_tokens_are_checked_against_its_public_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = tmp_path / "idp.pem"
    pub.write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    monkeypatch.setenv(ENV_PUBLIC_KEY, str(pub))
    with pytest.raises(AuthError, match=ENV_ISSUER):
        Verifier.from_settings()
    monkeypatch.setenv(ENV_ISSUER, "https://login.example/tenant/v2.0")
    monkeypatch.setenv(ENV_AUDIENCE, "api://contextgraph")
    v = Verifier.from_settings()
    good = claims(iss="https://login.example/tenant/v2.0", aud="api://contextgraph", role=None, roles=["chair"])
    p = v.verify(jwt.encode(good, private, algorithm="RS256"))
    assert (p.role, p.clearance) == ("chair", "P")
    with pytest.raises(AuthError, match="not for this service"):
        v.verify(jwt.encode({**good, "aud": AUDIENCE}, private, algorithm="RS256"))


def test_token_command(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'team.db'}"
    assert cg("localities", "add", "East", "--store", store).returncode == 0  # a token is for a store's localities
    res = cg("token", "--user", "ana", "--role", "chair", "--locality", "east", "--store", store)
    assert res.returncode == 0, res.stderr
    p = LocalKeys(tmp_path / "team.key.pem").verifier().verify(res.stdout.strip())
    assert (p.user, p.role, p.localities) == ("ana", "chair", ("East",))
    res = cg("token", "--user", "ana", "--role", "king", "--locality", "East", "--store", store)
    assert res.returncode == 1 and "role is not one of" in res.stderr
    res = cg("token", "--user", "ana", "--role", "chair", "--locality", "East", "--minutes", "9999", "--store", store)
    assert res.returncode == 1 and "1 to 720 minutes" in res.stderr
