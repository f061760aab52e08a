"""The project around a file: its root, the scan of its modules, the project solver that runs the engine over
them, the per-file settings, and the caches on disk. Above the rules (it runs them), below the pipeline."""
