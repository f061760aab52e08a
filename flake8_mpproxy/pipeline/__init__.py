"""The per-file pipeline every front end calls: bytes -> prefilter -> decode -> parse -> engine + rules (with the
project's links) -> findings -> ``# noqa``."""
