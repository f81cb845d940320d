"""Every setting contextgraph reads from the environment, in one table.

Each setting is an environment variable. The modules that read one take its name from here, and
nowhere else in the package names one; ``docs/`` documents each (a test checks both). The
default is shown as the reading module applies it ("" when unset means off or absent).

>>> SETTINGS[STORE].default
'sqlite:///contextgraph.db'
>>> all(name.startswith("CONTEXTGRAPH_") for name in SETTINGS)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Setting:
    name: str
    """The environment variable."""
    default: str
    """Its value when unset, as the reading module applies it ("" for none)."""
    doc: str
    """What it sets, for a person."""
    read_by: str
    """The module that reads it."""


# the store and the access log
STORE: Final = "CONTEXTGRAPH_STORE"
AUDIT_LOG: Final = "CONTEXTGRAPH_AUDIT_LOG"
AUDIT_KEY: Final = "CONTEXTGRAPH_AUDIT_KEY"
AUDIT_MAX_SUBJECTS: Final = "CONTEXTGRAPH_AUDIT_MAX_SUBJECTS"
# sign-in
JWT_PUBLIC_KEY: Final = "CONTEXTGRAPH_JWT_PUBLIC_KEY"
JWKS_URL: Final = "CONTEXTGRAPH_JWKS_URL"
JWT_ISSUER: Final = "CONTEXTGRAPH_JWT_ISSUER"
JWT_AUDIENCE: Final = "CONTEXTGRAPH_JWT_AUDIENCE"
TOKEN_KEY: Final = "CONTEXTGRAPH_TOKEN_KEY"
JWKS_CACHE_SECONDS: Final = "CONTEXTGRAPH_JWKS_CACHE_SECONDS"
JWKS_MIN_REFETCH_SECONDS: Final = "CONTEXTGRAPH_JWKS_MIN_REFETCH_SECONDS"
# the service and the page
DEV: Final = "CONTEXTGRAPH_DEV"
WARM: Final = "CONTEXTGRAPH_WARM"
TILE_URL: Final = "CONTEXTGRAPH_TILE_URL"
TILE_ATTRIBUTION: Final = "CONTEXTGRAPH_TILE_ATTRIBUTION"
OIDC_AUTHORITY: Final = "CONTEXTGRAPH_OIDC_AUTHORITY"
OIDC_CLIENT_ID: Final = "CONTEXTGRAPH_OIDC_CLIENT_ID"
OIDC_SCOPE: Final = "CONTEXTGRAPH_OIDC_SCOPE"
FAST_LISTS: Final = "CONTEXTGRAPH_FAST_LISTS"
# tracking records
PATHWAY_LEVELS: Final = "CONTEXTGRAPH_PATHWAY_LEVELS"
OUTCOME_BENCHMARKS: Final = "CONTEXTGRAPH_OUTCOME_BENCHMARKS"
# the partnership report
TEAM_CAPACITY: Final = "CONTEXTGRAPH_TEAM_CAPACITY"
SMALL_COUNT: Final = "CONTEXTGRAPH_SMALL_COUNT"
CENSUS: Final = "CONTEXTGRAPH_CENSUS"
CHROMIUM: Final = "CONTEXTGRAPH_CHROMIUM"
# extraction
CONFIDENCE_THRESHOLD: Final = "CONTEXTGRAPH_CONFIDENCE_THRESHOLD"
# the bounds of a request (see contextgraph.limits)
MAX_BODY: Final = "CONTEXTGRAPH_MAX_BODY"
MAX_NOTE: Final = "CONTEXTGRAPH_MAX_NOTE"
MAX_IMPORT: Final = "CONTEXTGRAPH_MAX_IMPORT"
MAX_UNPACKED: Final = "CONTEXTGRAPH_MAX_UNPACKED"
MAX_RATIO: Final = "CONTEXTGRAPH_MAX_RATIO"
MAX_JSON_DEPTH: Final = "CONTEXTGRAPH_MAX_JSON_DEPTH"
MAX_SEARCH: Final = "CONTEXTGRAPH_MAX_SEARCH"
MAX_NAME: Final = "CONTEXTGRAPH_MAX_NAME"
MAX_COST: Final = "CONTEXTGRAPH_MAX_COST"
QUERY_SECONDS: Final = "CONTEXTGRAPH_QUERY_SECONDS"

SETTINGS: Final[dict[str, Setting]] = {
    s.name: s
    for s in (
        Setting(STORE, "sqlite:///contextgraph.db", "the store every command and the service use", "store"),
        Setting(AUDIT_LOG, "", "the access log's file (default: beside the store, `.audit.jsonl`)", "audit"),
        Setting(
            AUDIT_KEY, "", "the key the access log's chain is signed with (default: a key file beside it)", "audit"
        ),
        Setting(AUDIT_MAX_SUBJECTS, "1000", "the most subjects one access record lists before a manifest", "audit"),
        Setting(JWT_PUBLIC_KEY, "", "a PEM public key that signs the service's tokens", "auth"),
        Setting(JWKS_URL, "", "the identity provider's JSON Web Key Set", "auth"),
        Setting(JWT_ISSUER, "", "the issuer a token must name (with a key set)", "auth"),
        Setting(JWT_AUDIENCE, "contextgraph", "the audience a token must name", "auth"),
        Setting(TOKEN_KEY, "", "the local signing key file (default: beside the store)", "auth"),
        Setting(JWKS_CACHE_SECONDS, "300", "how long the key set is kept", "auth"),
        Setting(JWKS_MIN_REFETCH_SECONDS, "5", "the least time between two fetches of the key set", "auth"),
        Setting(DEV, "", "`1`: GraphiQL, introspection and the REST pages (`serve --dev`)", "api"),
        Setting(WARM, "1", "`0`: the service keeps a bounded cache instead of every record (`serve --no-warm`)", "api"),
        Setting(TILE_URL, "", "a map tile server's URL template for the page (none: no base map)", "api"),
        Setting(TILE_ATTRIBUTION, "", "the tile server's attribution, shown on the map", "api"),
        Setting(OIDC_AUTHORITY, "", "the identity provider the page signs in with", "api"),
        Setting(OIDC_CLIENT_ID, "", "the page's client id at the identity provider", "api"),
        Setting(OIDC_SCOPE, "openid profile", "the scopes the page asks for", "api"),
        Setting(FAST_LISTS, "1", "`0`: GraphQL lists are completed field by field, as graphql-core does", "execution"),
        Setting(
            PATHWAY_LEVELS,
            "green,amber,red",
            "the risk pathway's levels, lowest first, comma-separated (e.g. `Safer Me,Safer Me Plus`)",
            "tracking",
        ),
        Setting(
            OUTCOME_BENCHMARKS,
            "",
            "the outcome benchmarks, comma-separated codes (default: the eight in docs/model.md)",
            "tracking",
        ),
        Setting(
            TEAM_CAPACITY,
            "",
            "how many children the exploitation team can hold, for the report's caseload",
            "partnership",
        ),
        Setting(
            SMALL_COUNT,
            "5",
            "in a report for a recipient outside the partnership, counts below this are shown as `<5`",
            "partnership",
        ),
        Setting(
            CENSUS,
            "",
            "the local child population's census tables (ONS 2021 layout), comma-separated CSV files; "
            "`sample` for the sample area's fictional ones (none: the report gives shares alone)",
            "partnership",
        ),
        Setting(
            CHROMIUM,
            "",
            "the browser that prints a report to PDF (default: chromium, or Chrome, on the path)",
            "partnership",
        ),
        Setting(
            CONFIDENCE_THRESHOLD, "0.3", "below this confidence a fact is queued for review, not recorded", "confidence"
        ),
        Setting(MAX_BODY, "1000000", "the largest request body but a note's or an archive's, in bytes", "limits"),
        Setting(MAX_NOTE, "2000000", "the largest note sent to `POST /notes`, in bytes", "limits"),
        Setting(MAX_IMPORT, "200000000", "the largest import archive (`POST /import`), in bytes", "limits"),
        Setting(MAX_UNPACKED, "1000000000", "the most an import archive may unpack to, in bytes", "limits"),
        Setting(
            MAX_RATIO,
            "100",
            "the most a file in an import archive may unpack to per byte packed (any file may unpack to 1 MB)",
            "limits",
        ),
        Setting(
            MAX_JSON_DEPTH,
            "64",
            "how deeply a request body or a line of an import (`POST /import`, `contextgraph import`) may nest",
            "limits",
        ),
        Setting(MAX_SEARCH, "200", "the longest `search` text, in characters", "limits"),
        Setting(MAX_NAME, "200", "the longest note name (`POST /notes?name=`, `ingestNote`), in characters", "limits"),
        Setting(MAX_COST, "1000", "the highest estimated cost of one GraphQL query", "limits"),
        Setting(QUERY_SECONDS, "30", "how long one GraphQL query may run, in seconds", "limits"),
    )
}
"""Every setting, by its environment variable."""
