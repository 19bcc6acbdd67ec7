"""The interface's messages: list the msgids in the code, check or update the catalogs.

    python scripts/messages.py            # msgids missing from a catalog, or stale in it
    python scripts/messages.py --compile  # msgfmt every .po to its .mo (needs gettext's msgfmt)

Messages are the literal first arguments of `_()`, `N_()` and `ngettext()` in searchkit/
(a plural message is keyed by its singular), in the Python modules and in the web page's
Jinja2 templates (`searchkit/web/templates/*.html`, where `_` and `ngettext` are the same). tests/test_i18n.py runs the same extraction.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "searchkit"
CATALOGS = sorted((PACKAGE / "locale").glob("*/LC_MESSAGES/searchkit.po"))


def msgids(package: Path = PACKAGE) -> dict[str, str]:
    """msgid -> where it is used (file:line), for every message in the package."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            count = 1 if node.func.id in ("_", "N_", "ngettext") else 0  # a plural is keyed by its singular
            for arg in node.args[:count]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in sorted(package.rglob("templates/*.html")):
        text = path.read_text(encoding="utf-8")
        for m in _TEMPLATE_MESSAGE.finditer(text):
            found.setdefault(m.group(2), f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}")
    return found


# `_("…")`, `_('…')` and `ngettext("…", …)` in a Jinja2 template
_TEMPLATE_MESSAGE = re.compile(r"""(?<![\w.])(?:_|ngettext)\(\s*(["'])(.*?)(?<!\\)\1""")


def main(argv: list[str]) -> int:
    if "--compile" in argv:
        for po in CATALOGS:
            subprocess.run(["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
        return 0
    import gettext

    ids = msgids()
    bad = 0
    for po in CATALOGS:
        with open(po.with_suffix(".mo"), "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        keys = {k[0] if isinstance(k, tuple) else k for k in catalog}
        for msgid, where in ids.items():
            if msgid not in keys:
                print(f"{po.parent.parent.name}: missing: {msgid!r} ({where})")
                bad += 1
        for k in sorted(keys - set(ids) - {""}):
            print(f"{po.parent.parent.name}: unused: {k!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
