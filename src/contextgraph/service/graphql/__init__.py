"""The GraphQL schema: a view of the domain model, read and written within each user's scope.

Types and enums are built from the vocabulary in :mod:`contextgraph.model`. What
a user may reach is decided in the store read itself: each read passes a
:class:`~contextgraph.store.Filter` of the user's localities and handling codes,
so nothing outside them is fetched, counted or analysed. Every read of a person
and every write is put on the access log (:mod:`contextgraph.service.audit`) before the
answer is sent; if the log cannot be written the request fails.

What each role may do (``docs/api.md`` has the table):

- ``analyst``: read and write in their localities;
- ``chair``: read in their localities, handling code P only;
- ``mace``: places, hotspots, persons of concern and networks in their
  localities; children appear by initials only, and the child-centred lists
  (at-risk children, peer groups) and searches for children are not theirs;
- ``admin``: everything, everywhere, and erasure.

The modules, each depending only on those before it:

- :mod:`.context`: who is asking, the request's scope and access log, the analyses kept;
- :mod:`.execution`: graphql-core's execution with a time budget, and lists completed in one loop;
- :mod:`.types`: the view types (entities, analysis results, writes, a note's review);
- :mod:`.maps`: a locality's map;
- :mod:`.query` and :mod:`.mutation`: the resolvers;
- :mod:`.schema`: the strawberry schema with its limits, and its SDL.
"""

from .context import NO_PURPOSE, Analyses, Context, RequestError
from .execution import Budgeted, FastLists, Kept, fast_lists
from .mutation import Mutation
from .query import Query
from .schema import query_rules, schema, sdl

__all__ = [
    "NO_PURPOSE",
    "Analyses",
    "Budgeted",
    "Context",
    "FastLists",
    "Kept",
    "Mutation",
    "Query",
    "RequestError",
    "fast_lists",
    "query_rules",
    "schema",
    "sdl",
]
