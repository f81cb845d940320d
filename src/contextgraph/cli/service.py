"""Commands of the service: token and serve."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from ..settings import CENSUS
from ..settings import STORE as ENV_STORE
from .common import StoreOpt, UserError, access_log, app, localities_given, opened, out, user_of

if TYPE_CHECKING:
    pass


@app.command()
def token(
    user: Annotated[str, typer.Option("--user", help="Who the token is for", callback=user_of)],
    role: Annotated[str, typer.Option("--role", help="analyst, chair, mace or admin")],
    locality: Annotated[
        list[str] | None, typer.Option("--locality", help="A locality they work in (repeatable)")
    ] = None,
    clearance: Annotated[str | None, typer.Option(help="Handling codes they may see: P, or C (P and C)")] = None,
    minutes: Annotated[int, typer.Option(help="How long the token lasts (1-720)")] = 60,
    store: StoreOpt = None,
) -> None:
    """Mint a short-lived local sign-in token, signed with the key kept beside the store."""
    from ..service.auth import AuthError, LocalKeys
    from ..store import store_url

    with opened(store) as s:
        locs = s.localities()
    # only a configured locality: a token for one misspelt would open nothing, or the wrong area
    areas = localities_given(locality, locs)
    try:
        tok = LocalKeys.for_store(store_url(store)).mint(user, role, areas, clearance, minutes)
    except AuthError as e:
        raise UserError(str(e)) from None
    print(tok)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    dev: Annotated[bool, typer.Option("--dev", help="Development mode: GraphiQL, introspection and /docs")] = False,
    sample: Annotated[
        bool, typer.Option("--sample", help="Load a generated, fictional sample area first if the store is empty")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core serves most requests)")] = 1,
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Read every record into memory before serving (embedded store)")
    ] = True,
    store: StoreOpt = None,
) -> None:
    """Run the service: /graphql and REST behind sign-in, /healthz and /readyz."""
    import uvicorn

    from ..interchange.synth import LOCALITIES as SAMPLE_LOCALITIES
    from ..limits import LimitError
    from ..service.api import create_app
    from ..service.auth import AuthError, LocalKeys
    from ..store import store_url

    url = store_url(store)
    if not 1 <= workers <= 64:
        raise UserError("--workers must be between 1 and 64")
    if sample:
        _load_sample(url)
        # the sample area's report compares with its own fictional census, unless another is set
        os.environ.setdefault(CENSUS, "sample")
    else:
        with opened(url, access_log(url)):  # the log checked against the store before serving
            pass
    try:
        app = create_app(url, dev=dev, warm=warm)
        keys = LocalKeys.for_store(url)
        demo = keys.mint("demo-analyst", "analyst", list(SAMPLE_LOCALITIES), None, 12 * 60) if sample else None
    except (AuthError, LimitError) as e:
        raise UserError(str(e)) from None
    out.print(f"contextgraph on http://{host}:{port}/ — GraphQL at /graphql; every request needs a bearer token.")
    if demo:
        out.print("A token for an analyst of every sample locality, for 12 hours (paste it to sign in):")
        print(demo)
    out.print(
        "Mint one per person: contextgraph token --user NAME --role analyst|chair|mace|admin --locality L"
        + (f" --store {url}" if store else "")
    )
    if workers > 1:  # each worker opens the store itself, from the settings
        from ..settings import DEV as ENV_DEV
        from ..settings import WARM as ENV_WARM

        os.environ[ENV_STORE] = url
        os.environ[ENV_DEV] = "1" if dev else ""
        os.environ[ENV_WARM] = "1" if warm else "0"
        from uvicorn.supervisors import Multiprocess

        from ..service.api import TCPConfig

        factory = "contextgraph.service.api:app_from_settings"
        config = TCPConfig(factory, factory=True, host=host, port=port, workers=workers, log_level="warning")
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning")


def _load_sample(url: str) -> None:
    """The generated sample area, imported into an empty store (a store with data is left alone)."""
    from ..ingest.gazetteer import import_file as import_gazetteer_file
    from ..ingest.gazetteer import sample_files
    from ..interchange import entity_from_json, relationship_from_json
    from ..interchange.synth import LOCALITIES as SAMPLE_LOCALITIES
    from ..interchange.synth import SAMPLE_AREA, generate
    from ..model.tracked import Tracked
    from ..service.audit import acting

    with opened(url, lambda: access_log(url, create=True), create=True) as s:
        if not s.localities():
            with acting(s, "serve", "sample data", {"command": "serve --sample"}):
                s.set_localities(SAMPLE_AREA, "serve")
        if s.stats().to_json()["entities_total"]:
            out.print("the store already holds data: the sample is not loaded")
            return
        data = generate(children=2000, seed=0)
        ents = [entity_from_json(e) for e in data.entities]
        rels = [relationship_from_json(r) for r in data.relationships]
        records = [Tracked.from_json(t, "sample") for t in data.tracking]
        with acting(s, "serve", "sample data", {"command": "serve --sample"}):
            summary = s.upsert(ents, rels, tracking=records)
            for f in sample_files():
                import_gazetteer_file(s, f)
        held = s.gazetteer_size()
    out.print(
        f"loaded the fictional sample: {summary.entities_created} entities, "
        f"{summary.relationships_created} relationships and {len(records)} tracking records in "
        f"{', '.join(SAMPLE_LOCALITIES)}; a gazetteer of "
        f"{held[0]} postcodes and {held[1]} named places"
    )
