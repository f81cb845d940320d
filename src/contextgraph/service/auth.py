"""Sign-in: who a request is, from a bearer JWT, and what they may see.

Two ways to trust a token:

- **production**: RS256 or ES256 tokens from an OIDC provider (Entra ID or any
  other), checked against a public key file (``CONTEXTGRAPH_JWT_PUBLIC_KEY``) or
  the provider's JWKS (``CONTEXTGRAPH_JWKS_URL``), with the issuer
  (``CONTEXTGRAPH_JWT_ISSUER``) and audience (``CONTEXTGRAPH_JWT_AUDIENCE``)
  enforced;
- **local**: ``contextgraph token`` mints a short-lived ES256 token with a key
  kept beside the store (created on first use, readable by its owner only).

Every token must be signed with one of the two algorithms above (never ``none``,
never a shared secret), unexpired, for this audience and from the expected issuer.

>>> import tempfile, pathlib
>>> keys = LocalKeys(pathlib.Path(tempfile.mkdtemp()) / "team.key.pem")
>>> tok = keys.mint("ana", "chair", ["Hillcrest"], clearance="P", minutes=5)
>>> p = keys.verifier().verify(tok)
>>> p.user, p.role, p.localities, p.clearance
('ana', 'chair', ('Hillcrest',), 'P')
"""

from __future__ import annotations

import math
import os
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import Unauthenticated
from ..quoted import shows_all
from ..settings import JWKS_CACHE_SECONDS as ENV_JWKS_CACHE
from ..settings import JWKS_MIN_REFETCH_SECONDS as ENV_JWKS_REFETCH
from ..settings import JWKS_URL as ENV_JWKS_URL
from ..settings import JWT_AUDIENCE as ENV_AUDIENCE
from ..settings import JWT_ISSUER as ENV_ISSUER
from ..settings import JWT_PUBLIC_KEY as ENV_PUBLIC_KEY
from ..settings import TOKEN_KEY as ENV_LOCAL_KEY
from . import policy

ROLES: Final[dict[str, str]] = {name: r.description for name, r in policy.ROLES.items()}
"""Each role and what it may do, from the roles table (:mod:`contextgraph.service.policy`)."""
CLEARANCES: Final[dict[str, str]] = {
    "P": "intelligence with handling code P only",
    "C": "intelligence with handling codes P and C",
}
DEFAULT_CLEARANCE: Final[dict[str, str]] = {name: r.default_clearance for name, r in policy.ROLES.items()}
ALGORITHMS: Final[list[str]] = ["ES256", "RS256"]
LOCAL_ISSUER = "contextgraph-local"
AUDIENCE = "contextgraph"
MAX_MINUTES = 12 * 60
"""The longest a token may last from when it was issued, in minutes, whoever minted it."""
LEEWAY = 30
"""Seconds of clock difference forgiven when reading a token's times."""

JWKS_CACHE_SECONDS = 300.0
JWKS_REFETCH_SECONDS = 5.0


class AuthError(Unauthenticated):
    """A token that cannot be trusted; the message says why, without echoing the token."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, and what they may see."""

    user: str
    role: str
    localities: tuple[str, ...]
    clearance: str
    initials: bool = False
    """Asked, for this request, that every person be shown by initials (``X-Names: initials``)."""

    @property
    def everywhere(self) -> bool:
        return policy.role(self.role).everywhere

    @property
    def by_initials(self) -> frozenset[str]:
        """The kinds this request shows by initials (:func:`~contextgraph.service.policy.by_initials`)."""
        return policy.by_initials(self.role, self.initials)


SERVICE_USERS: Final = frozenset({"system", "serve"})
"""The names the service writes under in the access log itself (a recovery, the sample data): no
token may name its user so, or a person could pass for the service."""


def _letters(name: str) -> str:
    """A name's letters, without accents, case or anything else: how it reads at a glance.

    >>> _letters("System."), _letters("syste\u0301m"), _letters("s-y-s-t-e-m"), _letters("ana")
    ('system', 'system', 'system', 'ana')
    """
    decomposed = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c))


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal of verified claims: ``sub``, ``role`` (or the first known of ``roles``),
    ``localities`` and ``clearance`` (default by role)."""
    user = claims.get("preferred_username") or claims.get("sub")
    role = claims.get("role")
    roles = claims.get("roles")
    if role is None and isinstance(roles, list):
        role = next((r for r in roles if isinstance(r, str) and r in ROLES), None)
    if not isinstance(role, str):
        role = None
    if not isinstance(user, str) or not user:
        raise AuthError("the token names no user")
    # the access log's name for them: two that read alike are one, an accent written apart or not
    user = unicodedata.normalize("NFC", shows_all(user, "the token's user name", AuthError))
    if _letters(user) in SERVICE_USERS:
        raise AuthError(f"the token's user name {user!r} is the service's own in the access log: no person's")
    if role not in ROLES:
        raise AuthError(f"the token's role is not one of {', '.join(ROLES)}")
    locs = claims.get("localities", [])
    if isinstance(locs, str):
        locs = [locs]
    if not isinstance(locs, list) or not all(isinstance(x, str) and x for x in locs):
        raise AuthError("the token's localities must be a list of names")
    locs = [unicodedata.normalize("NFC", shows_all(x, "a locality of the token", AuthError)) for x in locs]
    rules = policy.role(role)
    if not rules.everywhere and not locs:
        raise AuthError("the token gives no locality")
    if rules.max_localities is not None and len(set(locs)) > rules.max_localities:
        raise AuthError(f"a {role}'s token gives at most {rules.max_localities} locality")
    clearance = claims.get("clearance", DEFAULT_CLEARANCE[role])
    if not isinstance(clearance, str) or clearance not in CLEARANCES:
        raise AuthError(f"the token's clearance must be one of {', '.join(CLEARANCES)}")
    if rules.clearance_ceiling == "P" and clearance != "P":
        raise AuthError(f"a {role}'s clearance is handling code P only")
    _check_lifetime(claims)
    return Principal(user, role, tuple(sorted(set(locs))), clearance)


def _check_lifetime(claims: dict[str, Any]) -> None:
    """A token lasts at most :data:`MAX_MINUTES` from when it was issued, and was not issued in
    the future, whoever minted it (a provider's own lifetime may be longer).

    >>> now = int(time.time())
    >>> _check_lifetime({"iat": now, "exp": now + 3600})
    >>> _check_lifetime({"iat": now, "exp": now + 10 * 365 * 86400})
    Traceback (most recent call last):
    ...
    contextgraph.service.auth.AuthError: the token lasts longer than 12 hours; ask for a shorter one
    """
    iat, exp = claims.get("iat"), claims.get("exp")
    if iat is None and exp is None:  # checked for presence where the token is verified
        return
    if not isinstance(iat, int | float) or not isinstance(exp, int | float) or not _number(iat) or not _number(exp):
        raise AuthError("the token's iat and exp must be numbers")
    if iat > time.time() + LEEWAY:
        raise AuthError("the token was issued in the future")
    if exp - iat > MAX_MINUTES * 60:
        raise AuthError(f"the token lasts longer than {MAX_MINUTES // 60} hours; ask for a shorter one")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def algorithm_of(key: Any) -> str:
    """The one algorithm a public key checks: ES256 for a P-256 key, RS256 for an RSA key."""
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    raise AuthError(f"the key to check tokens with is neither RSA nor EC P-256 ({type(key).__name__})")


class Verifier:
    """Checks tokens against one public key or a JWKS, an issuer and an audience."""

    def __init__(
        self,
        key: Any = None,
        jwks_url: str | None = None,
        issuer: str = LOCAL_ISSUER,
        audience: str = AUDIENCE,
        jwks_cache_seconds: float = JWKS_CACHE_SECONDS,
        jwks_refetch_seconds: float = JWKS_REFETCH_SECONDS,
    ):
        if key is None and jwks_url is None:
            raise AuthError("no key to check tokens with: set a public key file or a JWKS URL")
        if key is not None:
            algorithm_of(key)
        self.key = key
        # The key set is fetched again once it is older than jwks_cache_seconds (a key the provider
        # dropped stops being trusted then), and at once for a token naming a key it lacks (a new
        # key), though not twice within jwks_refetch_seconds.
        self.jwks = (
            jwt.PyJWKClient(jwks_url, lifespan=jwks_cache_seconds, cooldown_duration=jwks_refetch_seconds)
            if jwks_url
            else None
        )
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("not a signed token") from None
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"tokens must be signed with {' or '.join(ALGORITHMS)}")
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key if self.jwks else self.key
            algorithm = algorithm_of(key)
            if header["alg"] != algorithm:  # a token signed for another type of key is not checked against this one
                raise AuthError(f"the token is signed with {header['alg']}; this service's key takes {algorithm}")
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
                leeway=LEEWAY,
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is not for this service") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token is not from the expected issuer") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token cannot be trusted ({type(exc).__name__})") from None
        try:
            return principal_of(claims)
        except TypeError:  # a claim of an odd type (a list for a role, a number for roles): never a crash
            raise AuthError("the token's claims are not of the expected types") from None

    @classmethod
    def from_settings(cls, local: LocalKeys | None = None) -> Verifier:
        """The production verifier when configured, else the local one."""
        pub, jwks = os.environ.get(ENV_PUBLIC_KEY), os.environ.get(ENV_JWKS_URL)
        if pub or jwks:
            issuer = os.environ.get(ENV_ISSUER)
            if not issuer:
                raise AuthError(f"set {ENV_ISSUER} to the issuer the tokens must come from")
            audience = os.environ.get(ENV_AUDIENCE, AUDIENCE)
            key = serialization.load_pem_public_key(Path(pub).read_bytes()) if pub else None
            return cls(
                key=key,
                jwks_url=jwks,
                issuer=issuer,
                audience=audience,
                jwks_cache_seconds=_seconds(ENV_JWKS_CACHE, JWKS_CACHE_SECONDS, zero=False),
                jwks_refetch_seconds=_seconds(ENV_JWKS_REFETCH, JWKS_REFETCH_SECONDS, zero=True),
            )
        if local is None:
            raise AuthError("no way to check tokens: no provider configured and no local key")
        return local.verifier()


def _seconds(name: str, default: float, zero: bool) -> float:
    """A setting in seconds: a finite number, above zero (or zero itself when ``zero``)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise AuthError(f"{name} must be a number of seconds, {least}; it is {raw!r}")
    return value


class LocalKeys:
    """The ES256 key pair kept beside the store for local tokens."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def for_store(cls, store_url: str) -> LocalKeys:
        """``$CONTEXTGRAPH_TOKEN_KEY``, else ``NAME.key.pem`` beside a SQLite store ``NAME.db``."""
        env = os.environ.get(ENV_LOCAL_KEY)
        if env:
            return cls(Path(env))
        if store_url.startswith("sqlite:///"):
            db = Path(store_url.removeprefix("sqlite:///"))
            return cls(db.with_name(db.stem + ".key.pem"))
        return cls(Path("contextgraph.key.pem"))

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        if not self.path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
        loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise AuthError(f"{self.path}: not an EC private key")
        return loaded

    def verifier(self) -> Verifier:
        return Verifier(key=self.private_key().public_key(), issuer=LOCAL_ISSUER, audience=AUDIENCE)

    def mint(
        self,
        user: str,
        role: str,
        localities: list[str],
        clearance: str | None = None,
        minutes: int = 60,
    ) -> str:
        """A signed token for ``user``, valid for ``minutes`` (at most 12 hours)."""
        if not 1 <= minutes <= MAX_MINUTES:
            raise AuthError(f"a local token lasts 1 to {MAX_MINUTES} minutes")
        now = int(time.time())
        claims = {
            "sub": user,
            "role": role,
            "localities": sorted(set(localities)),
            "clearance": clearance or DEFAULT_CLEARANCE.get(role, "P"),
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 60 * minutes,
        }
        principal_of(claims)  # the same rules as for reading it
        return jwt.encode(claims, self.private_key(), algorithm="ES256")
