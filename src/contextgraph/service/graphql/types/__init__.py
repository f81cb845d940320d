"""The view types of the schema, one module per part of the domain: :mod:`.entities` (who is
signed in, entities, relationships, sources, a neighbourhood), :mod:`.analysis` (the analysis's
results, and a page of any list), :mod:`.writes` (what writes answer and take) and :mod:`.notes`
(a note reviewed before it is recorded)."""
