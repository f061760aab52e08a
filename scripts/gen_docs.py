"""Regenerate the README rule table and docs/rules.md from the catalogue: ``python scripts/gen_docs.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flake8_mpproxy.frontends.explain import rules_page, with_rule_table  # noqa: E402


def main() -> int:
    readme = ROOT / "README.md"
    readme.write_text(with_rule_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    (ROOT / "docs" / "rules.md").write_text(rules_page(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
