"""Find or start a real Neo4j for the test suite, and give its Bolt URI.

In this order: ``NEO4J_URI`` if set; testcontainers when a Docker engine
answers; otherwise Neo4j Community from Maven Central (resolved by ``pom.xml``
beside this file) run embedded by ``Launcher.java`` on a free loopback port.

Run as a script, it resolves the jars (``python tests/neo4j_server/launch.py
--fetch``) so that later runs need no network, or starts a server and waits
(``--serve``), printing its URI.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSPATH = HERE / "classpath.txt"
NEO4J_IMAGE = "neo4j:5.26-community"
START_TIMEOUT = 240


class Unavailable(RuntimeError):
    pass


def fetch() -> Path:
    """Resolve the Neo4j jars with Maven and write the classpath file."""
    if CLASSPATH.exists() and all(Path(p).exists() for p in CLASSPATH.read_text().split(os.pathsep) if p):
        return CLASSPATH
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Unavailable("Maven (mvn) is not installed, so Neo4j cannot be resolved from Maven Central")
    out = subprocess.run(
        [mvn, "-q", "-B", "-f", str(HERE / "pom.xml"), "dependency:build-classpath", f"-Dmdep.outputFile={CLASSPATH}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0 or not CLASSPATH.exists():
        raise Unavailable(f"Maven could not resolve Neo4j: {(out.stdout + out.stderr)[-2000:]}")
    return CLASSPATH


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _java() -> tuple[str, str]:
    java = shutil.which("java")
    if java is None:
        raise Unavailable("Java is not installed, so the embedded Neo4j cannot start")
    return java, fetch().read_text().strip()


def _launcher(java: str, cp: str) -> list[str]:
    """The class path and main class that start ``Launcher.java``: compiled once into
    ``classes/`` beside it (kept per version of its source) where a ``javac`` is at hand, which
    saves compiling it at every start; else run from its source."""
    source = HERE / "Launcher.java"
    javac = shutil.which("javac") or str(Path(java).with_name("javac"))
    if not Path(javac).exists():
        return ["-cp", cp, str(source)]
    digest = hashlib.sha256(source.read_bytes() + cp.encode()).hexdigest()[:16]
    classes = HERE / "classes" / digest
    if not (classes / "Launcher.class").exists():
        classes.parent.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=classes.parent))
        out = subprocess.run([javac, "-cp", cp, "-d", str(tmp), str(source)], capture_output=True, text=True)
        if out.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise Unavailable(f"javac could not compile the launcher:\n{(out.stdout + out.stderr)[-2000:]}")
        try:
            os.replace(tmp, classes)
        except OSError:  # compiled at the same moment by another run
            shutil.rmtree(tmp, ignore_errors=True)
    return ["-cp", f"{classes}{os.pathsep}{cp}", "Launcher"]


def admin_import(home: Path, arguments: list[str]) -> str:
    """Run ``neo4j-admin`` (from the same Maven Central jars) with ``arguments`` on the Neo4j whose
    files live under ``home``, as :func:`maven_neo4j` lays them out; return what it printed."""
    java, cp = _java()
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").touch()
    (home / "data").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NEO4J_HOME": str(home / "data"), "NEO4J_CONF": str(conf)}
    out = subprocess.run(
        [java, "-Xmx2g", "-cp", cp, "org.neo4j.cli.AdminTool", *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,  # where it leaves its import.report
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"neo4j-admin failed ({out.returncode}):\n{(out.stdout + out.stderr)[-3000:]}")
    return out.stdout


@contextlib.contextmanager
def maven_neo4j(home: Path | None = None) -> Iterator[str]:
    """Neo4j Community run embedded on a free loopback port, its files under ``home`` (kept) or
    under a new temporary folder (removed afterwards)."""
    java, cp = _java()
    port = _free_port()
    own = home is None
    home = Path(tempfile.mkdtemp(prefix="contextgraph-neo4j-")) if home is None else home
    proc = subprocess.Popen(
        [
            java,
            "-Xms1g",
            "-Xmx4g",
            "-XX:+UseG1GC",
            *_launcher(java, cp),
            str(home / "data"),
            str(port),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("READY"):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("embedded Neo4j did not start:\n" + "".join(lines[-40:]))
        yield f"bolt://127.0.0.1:{port}"
    finally:
        if proc.stdin:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if own:
            shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def container_neo4j() -> Iterator[str]:
    from testcontainers.neo4j import Neo4jContainer

    with Neo4jContainer(NEO4J_IMAGE) as c:
        yield c.get_connection_url().replace("bolt://", f"neo4j://neo4j:{c.password}@", 1)


@contextlib.contextmanager
def neo4j_uri() -> Iterator[str]:
    """A Bolt URI of a running Neo4j, for as long as the context lasts."""
    if os.environ.get("NEO4J_URI"):
        yield os.environ["NEO4J_URI"]
    elif _docker_answers():
        with container_neo4j() as uri:
            yield uri
    else:
        with maven_neo4j() as uri:
            yield uri


if __name__ == "__main__":
    if "--fetch" in sys.argv:
        print(fetch())
    elif "--serve" in sys.argv:
        with neo4j_uri() as uri:
            print(uri, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    else:
        print(__doc__)
