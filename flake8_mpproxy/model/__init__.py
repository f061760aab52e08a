"""The shared model, below everything: the rule catalogue, findings, settings, the multiprocessing API table,
source handling (bytes -> text -> ``ast``) and the jobs the front ends hand down. Imports nothing above it."""
