"""Sign-in against a real identity provider: Keycloak, with the realm of ``keycloak/realm.json``.

The service is set up as in production (``CONTEXTGRAPH_JWKS_URL``, ``CONTEXTGRAPH_JWT_ISSUER``,
``CONTEXTGRAPH_JWT_AUDIENCE``) and knows nothing of Keycloak but its key set: a token Keycloak
issued signs its user in with the role, localities and clearance the realm gives them; tokens
from another realm or issuer, for another audience, altered, or expired are refused with a 401
that says why and never repeats the token; and a key Keycloak rotates in is trusted at once,
while one it drops stops being trusted once the service has fetched the key set again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import http.cookiejar
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from contextgraph.service.auth import ENV_JWKS_CACHE, ENV_JWKS_REFETCH, LEEWAY, AuthError, LocalKeys, Verifier
from contextgraph.store import open_store

from .cli import cg
from .data import ENTITIES, RELATIONSHIPS
from .keycloak.launch import REALM, REALM_FILE, Keycloak
from .service import Service, running

ME = "{ me { user role localities clearance } localities }"
API_CLIENT = "contextgraph-tests"  # password grant, audience contextgraph
BRIEF_CLIENT = "contextgraph-tests-brief"  # the same, tokens last one second
OTHER_CLIENT = "another-service"  # password grant, audience another-service


def realm_users() -> dict[str, dict[str, Any]]:
    """The realm's test users: password, role, localities and clearance, as the JSON gives them."""
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    users: dict[str, dict[str, Any]] = {}
    for u in realm["users"]:
        attrs = u["attributes"]
        users[u["username"]] = {
            "password": u["credentials"][0]["value"],
            "role": attrs["role"][0],
            "localities": sorted(attrs.get("localities", [])),
            "clearance": attrs["clearance"][0],
        }
    return users


USERS = realm_users()


def password(user: str) -> str:
    return str(USERS[user]["password"])


def serve_with(keycloak: Keycloak, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The service over the contract data, trusting only tokens of ``realm`` on ``keycloak``."""
    issuer = keycloak.realm_url(realm)
    for name, value in {
        "CONTEXTGRAPH_JWKS_URL": f"{issuer}/protocol/openid-connect/certs",
        "CONTEXTGRAPH_JWT_ISSUER": issuer,
        "CONTEXTGRAPH_JWT_AUDIENCE": "contextgraph",
    }.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'signin.db'}"
    with open_store(url) as s:
        s.upsert(ENTITIES, RELATIONSHIPS)
    with running(url, LocalKeys(tmp_path / "unused.key.pem")) as svc:
        yield svc


@pytest.fixture
def signin(keycloak: Keycloak, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    yield from serve_with(keycloak, REALM, tmp_path, monkeypatch)


def refused(svc: Service, token: str) -> str:
    """The reason a token is refused: a 401 that does not repeat it."""
    status, headers, body = svc.call("POST", "/graphql", token, json.dumps({"query": ME}).encode(), "application/json")
    assert status == 401, (status, body[:300])
    assert not [part for part in token.split(".") if part and part in body.decode()]
    assert "invalid_token" in headers.get("www-authenticate", headers.get("WWW-Authenticate", ""))
    return str(json.loads(body)["detail"])


def signed_in(svc: Service, token: str) -> dict[str, Any]:
    status, body = svc.post(ME, token, "test")
    assert status == 200 and not body.get("errors"), body
    return dict(body["data"])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def altered(token: str, **claims: Any) -> str:
    """``token`` with some of its claims changed and its signature kept."""
    head, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{head}.{b64(json.dumps({**decoded, **claims}).encode())}.{signature}"


def test_each_realm_user_signs_in_with_the_role_localities_and_clearance_keycloak_gives(
    keycloak: Keycloak, signin: Service
) -> None:
    assert {u["role"] for u in USERS.values()} == {"analyst", "chair", "mace", "admin"}
    for user, given in USERS.items():
        token = keycloak.token(API_CLIENT, user, password(user))
        header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
        # Keycloak's own token: RS256 under a key id of its key set, from the realm, for contextgraph
        assert header["alg"] == "RS256" and header["kid"]
        assert claims["iss"] == keycloak.realm_url() and claims["aud"] == "contextgraph"
        me = signed_in(signin, token)["me"]
        assert me == {
            "user": user,
            "role": given["role"],
            "localities": given["localities"],
            "clearance": given["clearance"],
        }, user
    # the claims are read, not defaulted: this MACE member is cleared for C, unlike the role's default
    assert USERS["mace.east"]["clearance"] == "C"
    # and what a user may see follows: the chair of East sees East only, the analyst both
    chair = signed_in(signin, keycloak.token(API_CLIENT, "chair.east", password("chair.east")))
    assert chair["localities"] == ["East"]
    analyst = signed_in(signin, keycloak.token(API_CLIENT, "ana.analyst", password("ana.analyst")))
    assert analyst["localities"] == ["East", "West"]


def test_a_token_from_another_realm_is_refused(keycloak: Keycloak, signin: Service) -> None:
    # the very same realm imported under another name: same users and mappers, its own keys and issuer
    other = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    other["realm"] = "elsewhere"
    keycloak.admin("POST", "", other)
    try:
        token = keycloak.token(API_CLIENT, "admin.user", password("admin.user"), realm="elsewhere")
        assert jwt.decode(token, options={"verify_signature": False})["aud"] == "contextgraph"
        assert "cannot be trusted" in refused(signin, token)
    finally:
        keycloak.admin("DELETE", "/elsewhere")


def test_a_token_signed_by_the_right_key_but_naming_another_issuer_is_refused(
    keycloak: Keycloak, signin: Service
) -> None:
    # Keycloak names the issuer after the address it was asked at: same realm and key, other issuer
    token = keycloak.token(
        API_CLIENT, "ana.analyst", password("ana.analyst"), base=keycloak.url.replace("127.0.0.1", "localhost")
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] != keycloak.realm_url() and claims["iss"].endswith(f"/realms/{REALM}")
    assert "not from the expected issuer" in refused(signin, token)


def test_a_token_for_another_audience_is_refused(keycloak: Keycloak, signin: Service) -> None:
    token = keycloak.token(OTHER_CLIENT, "ana.analyst", password("ana.analyst"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "another-service" and claims["role"] == "analyst"
    assert "not for this service" in refused(signin, token)


def test_an_altered_token_is_refused(keycloak: Keycloak, signin: Service) -> None:
    token = keycloak.token(API_CLIENT, "chair.east", password("chair.east"))
    assert signed_in(signin, token)["me"]["role"] == "chair"
    for change in ({"role": "admin"}, {"localities": ["East", "West"]}, {"clearance": "C"}):
        assert "cannot be trusted" in refused(signin, altered(token, **change)), change
    # nor does a signature of another token carry over
    other = keycloak.token(API_CLIENT, "admin.user", password("admin.user"))
    assert "cannot be trusted" in refused(signin, ".".join([*other.split(".")[:2], token.split(".")[2]]))
    # nor a token "signed" with no algorithm, or with Keycloak's published key used as a shared secret
    head = jwt.get_unverified_header(token)
    claims = {**jwt.decode(token, options={"verify_signature": False}), "role": "admin"}
    with urllib.request.urlopen(f"{keycloak.realm_url()}/protocol/openid-connect/certs", timeout=30) as r:
        published = next(k for k in json.loads(r.read())["keys"] if k["kid"] == head["kid"])
    for alg, sign in (
        ("none", lambda _: b""),
        ("HS256", lambda data: hmac.new(json.dumps(published).encode(), data, hashlib.sha256).digest()),
    ):
        parts = [b64(json.dumps({**head, "alg": alg}).encode()), b64(json.dumps(claims).encode())]
        forged = ".".join([*parts, b64(sign(".".join(parts).encode()))])
        assert "must be signed with" in refused(signin, forged), alg


def test_an_expired_token_is_refused(keycloak: Keycloak, signin: Service) -> None:
    token = keycloak.token(BRIEF_CLIENT, "ana.analyst", password("ana.analyst"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 1
    assert signed_in(signin, token)["me"]["user"] == "ana.analyst"  # good while within the leeway
    time.sleep(max(0.0, claims["exp"] + LEEWAY + 1.5 - time.time()))
    assert "expired" in refused(signin, token)


PAGE_CLIENT = "contextgraph-page"
PAGE = "http://127.0.0.1:8765/"  # a loopback address for the page (nothing needs to listen there)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to read, not to follow


class _Loopback(http.cookiejar.DefaultCookiePolicy):
    """Secure cookies go back to loopback over plain HTTP too, as browsers treat it as secure."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return urllib.parse.urlsplit(request.full_url).hostname == "127.0.0.1" or super().return_ok_secure(
            cookie, request
        )


class Browser:
    """Keycloak's authorisation endpoint and login form, as a browser meets them (cookies kept)."""

    def __init__(self, keycloak: Keycloak) -> None:
        self.realm = keycloak.realm_url()
        self.open = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(_Loopback())), _Stay()
        )

    def get(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Status, ``Location`` and page of one request."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.open.open(urllib.request.Request(url, data=data), timeout=60) as r:
                return r.status, "", r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Location", ""), e.read().decode(errors="replace")

    def authorise(
        self, redirect: str = PAGE, challenge: str | None = None, login: tuple[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Ask for a code as the page does; sign in on the login form if Keycloak shows one."""
        query = {
            "response_type": "code",
            "client_id": PAGE_CLIENT,
            "redirect_uri": redirect,
            "scope": "openid",
            "state": "s1",
        }
        if challenge is not None:
            query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        status, location, page = self.get(f"{self.realm}/protocol/openid-connect/auth?{urllib.parse.urlencode(query)}")
        form = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page)
        if status == 200 and form and login:
            status, location, page = self.get(
                html.unescape(form.group(1)), {"username": login[0], "password": login[1]}
            )
        return status, location, page

    def code(self, challenge: str, login: tuple[str, str]) -> str:
        status, location, _ = self.authorise(challenge=challenge, login=login)
        assert status == 302 and location.startswith(PAGE), (status, location)
        return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]

    def redeem(self, code: str, verifier: str | None) -> tuple[int, dict[str, Any]]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": PAGE, "client_id": PAGE_CLIENT}
        if verifier is not None:
            form["code_verifier"] = verifier
        status, _, body = self.get(f"{self.realm}/protocol/openid-connect/token", form)
        return status, json.loads(body)


def s256(verifier: str) -> str:
    return b64(hashlib.sha256(verifier.encode()).digest())


def test_the_pages_client_demands_pkce_and_redirects_to_loopback_only(keycloak: Keycloak, signin: Service) -> None:
    chair = ("chair.east", password("chair.east"))
    browser = Browser(keycloak)
    # no code challenge: Keycloak will not start a sign-in for the page
    status, location, _ = browser.authorise(login=chair)
    assert status == 302 and location.startswith(PAGE) and "error=invalid_request" in location
    assert "code=" not in location
    # a redirect away from loopback is not one of the page's: Keycloak says so and sends nowhere
    for away in ("http://elsewhere.example/", "http://127.0.0.1.elsewhere.example/"):
        status, location, page = browser.authorise(away, challenge=s256("x" * 43), login=chair)
        assert status == 400 and not location and "Invalid parameter: redirect_uri" in page, away
    # a code is only redeemed with the verifier behind its challenge
    verifier = secrets.token_urlsafe(48)
    for wrong in (None, secrets.token_urlsafe(48)):
        answer = browser.redeem(browser.code(s256(verifier), chair), wrong)
        assert answer[0] == 400 and answer[1]["error"] == "invalid_grant", answer
    status, tokens = browser.redeem(browser.code(s256(verifier), chair), verifier)
    assert status == 200, tokens
    # and the access token it gives signs the chair in to the service, as the page then does
    assert signed_in(signin, tokens["access_token"])["me"] == {
        "user": "chair.east",
        "role": "chair",
        "localities": ["East"],
        "clearance": "P",
    }


ROTATION = "contextgraph-rotation"
CACHE_SECONDS = 3.0
REFETCH_SECONDS = 1.0


@pytest.fixture
def rotation_service(keycloak: Keycloak, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """A realm of its own for rotating keys (the others are left as imported), and the service
    trusting it, keeping the key set for a few seconds only."""
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    realm["realm"] = ROTATION
    keycloak.admin("POST", "", realm)
    monkeypatch.setenv(ENV_JWKS_CACHE, str(CACHE_SECONDS))
    monkeypatch.setenv(ENV_JWKS_REFETCH, str(REFETCH_SECONDS))
    try:
        yield from serve_with(keycloak, ROTATION, tmp_path, monkeypatch)
    finally:
        keycloak.admin("DELETE", f"/{ROTATION}")


def signing_keys(keycloak: Keycloak) -> list[dict[str, Any]]:
    """The realm's RS256 signing keys, highest priority first."""
    keys = keycloak.admin("GET", f"/{ROTATION}/keys")["keys"]
    rs = [k for k in keys if k["algorithm"] == "RS256" and k.get("use", "SIG") == "SIG"]
    return sorted(rs, key=lambda k: -int(k["providerPriority"]))


def published(keycloak: Keycloak) -> set[str]:
    """The key ids in the realm's key set, as the service fetches it."""
    with urllib.request.urlopen(f"{keycloak.realm_url(ROTATION)}/protocol/openid-connect/certs", timeout=30) as r:
        return {k["kid"] for k in json.loads(r.read())["keys"]}


def test_a_rotated_key_is_trusted_without_a_restart_and_a_dropped_one_no_longer(
    keycloak: Keycloak, rotation_service: Service
) -> None:
    svc = rotation_service

    def token() -> str:
        return keycloak.token(API_CLIENT, "ana.analyst", password("ana.analyst"), realm=ROTATION)

    old = token()
    old_kid = jwt.get_unverified_header(old)["kid"]
    assert signed_in(svc, old)["me"]["user"] == "ana.analyst"  # the service has fetched the key set
    (first,) = signing_keys(keycloak)
    assert first["kid"] == old_kid
    # a new RSA key, preferred to the first: Keycloak signs with it from now on
    realm_id = keycloak.admin("GET", f"/{ROTATION}")["id"]
    keycloak.admin(
        "POST",
        f"/{ROTATION}/components",
        {
            "name": "rotated-rsa",
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id,
            "config": {"priority": [str(int(first["providerPriority"]) + 100)], "keySize": ["2048"]},
        },
    )
    new = token()
    new_kid = jwt.get_unverified_header(new)["kid"]
    assert new_kid != old_kid and signing_keys(keycloak)[0]["kid"] == new_kid
    time.sleep(REFETCH_SECONDS + 0.2)  # the least time between two fetches for an unknown key
    assert signed_in(svc, new)["me"]["user"] == "ana.analyst"  # the same running service
    assert signed_in(svc, old)["me"]["user"] == "ana.analyst"  # the old key is still published
    # the old key is dropped: it leaves the key set at once, and the service's trust once it refetches
    keycloak.admin("DELETE", f"/{ROTATION}/components/{first['providerId']}")
    assert old_kid not in published(keycloak) and new_kid in published(keycloak)
    time.sleep(CACHE_SECONDS + 0.5)
    assert "cannot be trusted" in refused(svc, old)
    assert signed_in(svc, new)["me"]["user"] == "ana.analyst"
    assert jwt.get_unverified_header(token())["kid"] == new_kid


@pytest.mark.parametrize("name", [ENV_JWKS_CACHE, ENV_JWKS_REFETCH])
@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_the_key_set_settings_must_be_seconds(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTEXTGRAPH_JWKS_URL", "http://127.0.0.1:9/certs")
    monkeypatch.setenv("CONTEXTGRAPH_JWT_ISSUER", "http://127.0.0.1:9")
    monkeypatch.setenv(name, value)
    with pytest.raises(AuthError, match=name):
        Verifier.from_settings()


def test_the_key_set_is_kept_at_least_a_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTEXTGRAPH_JWKS_URL", "http://127.0.0.1:9/certs")
    monkeypatch.setenv("CONTEXTGRAPH_JWT_ISSUER", "http://127.0.0.1:9")
    monkeypatch.setenv(ENV_JWKS_REFETCH, "0")  # no wait between fetches for unknown keys is allowed
    Verifier.from_settings()
    monkeypatch.setenv(ENV_JWKS_CACHE, "0")  # but a key set kept no time at all is not
    open_store(f"sqlite:///{tmp_path / 'x.db'}").close()  # serve makes no store (but --sample)
    res = cg("serve", "--store", f"sqlite:///{tmp_path / 'x.db'}")
    assert res.returncode == 1 and ENV_JWKS_CACHE in res.stderr and "Traceback" not in res.stderr
