"""Start a real Keycloak for the sign-in tests, and give its address.

Keycloak's server distribution is resolved from Maven Central by ``pom.xml`` beside this file
and unpacked once into ``dist/`` beside it, where a first start in development mode lays down
its build for the options used here. Each run then gets a home of its own (its data folder and
the realms to import) over that unpacked server, binds HTTP and the management interface to
free loopback ports, keeps its data in memory, imports ``realm.json`` and is stopped at the end.

Run as a script, it resolves and prepares the server (``python tests/keycloak/launch.py
--fetch``) so that later runs need no network, or starts one and waits (``--serve``), printing
its address and the administrator's sign-in.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VERSION = "26.4.0"
CACHE = HERE / "dist"
HOME = CACHE / f"keycloak-{VERSION}"
REALM_FILE = HERE / "realm.json"
REALM = "contextgraph-test"
START_TIMEOUT = 240
HEAP = "-Xms64m -Xmx512m"
# The quick compiler only: a server that lives for one test run starts in about half the time.
JIT = "-XX:TieredStopAtLevel=1"
# Options fixed when Keycloak builds itself: every start uses the same, so only the first rebuilds.
BUILD_OPTIONS = ["--db=dev-mem", "--health-enabled=true"]
READY_MARK = ".contextgraph-ready"


class Unavailable(RuntimeError):
    """Keycloak cannot be had here (no Java, no Maven, or Maven Central out of reach)."""


class StartFailed(RuntimeError):
    """Keycloak is here but did not start: a fault to see, not a reason to skip."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _resolve_zip() -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Unavailable("Maven (mvn) is not installed, so Keycloak cannot be resolved from Maven Central")
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as listing:
        out = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(HERE / "pom.xml"),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={listing.name}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        paths = [Path(p) for p in Path(listing.name).read_text().split(os.pathsep) if p.strip()]
    zips = [p for p in paths if p.name == f"keycloak-quarkus-dist-{VERSION}.zip" and p.exists()]
    if out.returncode != 0 or not zips:
        raise Unavailable(f"Maven could not resolve Keycloak {VERSION}: {(out.stdout + out.stderr)[-2000:]}")
    return zips[0]


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack the distribution, keeping its files' permissions (the scripts are executable)."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            target = into / info.filename
            z.extract(info, into)
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                target.chmod(mode & 0o777)
    found = into / f"keycloak-{VERSION}"
    if not (found / "bin" / "kc.sh").exists():
        raise Unavailable(f"{archive.name} does not hold keycloak-{VERSION}/bin/kc.sh")
    return found


def fetch() -> Path:
    """Resolve Keycloak with Maven, unpack it into ``dist/`` and let it build itself once for
    the options the tests use; the unpacked server's folder."""
    if _ready(HOME):
        return HOME
    _java()
    archive = _resolve_zip()
    CACHE.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=CACHE))
    try:
        unpacked = _unpack(archive, work)
        with _started(unpacked, realms=[]):  # the first start builds the server for BUILD_OPTIONS
            pass
        (unpacked / READY_MARK).write_text(_mark())
        if HOME.exists() and not _ready(HOME):  # built for other options: replaced
            shutil.rmtree(HOME)
        try:
            os.replace(unpacked, HOME)
        except OSError:  # prepared at the same moment by another run
            if not _ready(HOME):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return HOME


def _mark() -> str:
    return " ".join(BUILD_OPTIONS) + "\n"


def _ready(server: Path) -> bool:
    """Whether ``server`` is unpacked and built for the options used here."""
    mark = server / READY_MARK
    return mark.exists() and mark.read_text() == _mark()


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise Unavailable("Java (17 or later) is not installed, so Keycloak cannot start")
    return java


@dataclass(frozen=True)
class Keycloak:
    """A running Keycloak: its address and its administrator's sign-in (master realm)."""

    url: str
    admin_user: str
    admin_password: str
    started_in: float

    def realm_url(self, realm: str = REALM) -> str:
        return f"{self.url}/realms/{realm}"

    def token(self, client: str, user: str, password: str, realm: str = REALM, base: str | None = None) -> str:
        """An access token by the password grant of a client that allows it; ``base`` asks through
        another address of the same server (whose name then becomes the token's issuer)."""
        answer = self.post_form(
            f"{base or self.url}/realms/{realm}/protocol/openid-connect/token",
            {"grant_type": "password", "client_id": client, "username": user, "password": password, "scope": "openid"},
        )
        return str(answer["access_token"])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the admin REST API (``path`` under ``/admin/realms``), as the administrator."""
        token = self.post_form(
            f"{self.url}/realms/master/protocol/openid-connect/token",
            {
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.admin_user,
                "password": self.admin_password,
            },
        )["access_token"]
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/admin/realms{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    @staticmethod
    def post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
        req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{url} answered {e.code}: {e.read()[:500]!r}") from None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return 200 <= int(r.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop Keycloak cleanly (SIGTERM to its process group: the script and the JVM it runs)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while _group_alive(proc) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(proc):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    proc.poll()  # reaps the script or the JVM that replaced it, so that it no longer counts
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def _started(server: Path, realms: list[Path]) -> Iterator[Keycloak]:
    """Keycloak from the unpacked ``server``, with a home of its own for this run that imports
    ``realms``, on free loopback ports, until the block ends."""
    java = _java()
    home = Path(tempfile.mkdtemp(prefix="contextgraph-keycloak-"))
    for part in ("lib", "themes", "providers"):
        (home / part).symlink_to(server / part, target_is_directory=True)
    imports = home / "data" / "import"
    imports.mkdir(parents=True)
    for realm in realms:
        shutil.copyfile(realm, imports / realm.name)
    port, management = _free_port(), _free_port()
    password = secrets.token_urlsafe(18)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KC_", "KEYCLOAK_", "JAVA_OPTS"))},
        "JAVA": java,
        "JAVA_OPTS_KC_HEAP": HEAP,
        "JAVA_OPTS_APPEND": JIT,
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": password,
    }
    log = home / "keycloak.log"
    command = [
        "sh",
        str(server / "bin" / "kc.sh"),
        "start-dev",
        f"-Dkc.home.dir={home}",
        *BUILD_OPTIONS,
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        f"--http-management-port={management}",
        *(["--import-realm"] if realms else []),
    ]
    began = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        probes = [f"http://127.0.0.1:{management}/health/ready", *(f"{url}/realms/{_realm_name(r)}" for r in realms)]
        deadline = began + START_TIMEOUT
        while not all(_answers(p) for p in probes):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").splitlines()[-40:]
                raise StartFailed(f"Keycloak did not start within {START_TIMEOUT} s:\n" + "\n".join(tail))
            time.sleep(0.25)
        yield Keycloak(url, "admin", password, time.monotonic() - began)
    finally:
        _stop(proc)
        shutil.rmtree(home, ignore_errors=True)


def _realm_name(path: Path) -> str:
    return str(json.loads(path.read_text(encoding="utf-8"))["realm"])


@contextlib.contextmanager
def keycloak(realms: list[Path] | None = None) -> Iterator[Keycloak]:
    """A running Keycloak that has imported ``realm.json`` (or ``realms``), for as long as the
    context lasts."""
    with _started(fetch(), [REALM_FILE] if realms is None else realms) as kc:
        yield kc


if __name__ == "__main__":
    if "--fetch" in sys.argv:
        print(fetch())
    elif "--serve" in sys.argv:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly when told to
        with keycloak() as kc:
            print(f"{kc.realm_url()} (admin {kc.admin_user} / {kc.admin_password}; started in {kc.started_in:.1f} s)")
            sys.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    else:
        print(__doc__)
