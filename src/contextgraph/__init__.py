"""contextgraph: a contextual safeguarding intelligence graph."""

__version__ = "0.1.0"
