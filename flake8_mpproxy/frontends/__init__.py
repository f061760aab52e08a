"""The front ends, each a thin adapter over the pipeline and the fixer: the command (``cli``, ``runner``), the
flake8 plugin, notebooks, the output formats (``report``), ``--explain`` and the language server."""
