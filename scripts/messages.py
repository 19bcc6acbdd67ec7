"""The interface's messages: list the msgids in the code, check or update the catalogs.

    python scripts/messages.py            # msgids missing from a catalog, or stale in it
    python scripts/messages.py --compile  # msgfmt every .po to its .mo (needs gettext's msgfmt)

Messages are the literal first arguments of `_()`, `N_()` and `ngettext()` in searchkit/
(a plural message is keyed by its singular), in the Python modules and in the web page's
Jinja2 templates (`searchkit/web/templates/*.html`, where `_` and `ngettext` are the same);
and the command line's help: each command's docstring (as `inspect.cleandoc` leaves it)
and each option's `help=` text, which the CLI translates when it shows them.
tests/test_i18n.py runs the same check: a message without its Chinese translation fails.
"""

from __future__ import annotations

import ast
import inspect
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
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _is_click_call(node):
                for kw in node.keywords:
                    if kw.arg == "help" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        found.setdefault(kw.value.value, where)
            if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    found.setdefault(inspect.cleandoc(doc), where)
    for path in sorted(package.rglob("templates/*.html")):
        text = path.read_text(encoding="utf-8")
        for m in _TEMPLATE_MESSAGE.finditer(text):
            found.setdefault(m.group(2), f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}")
    return found


def _is_click_call(node: ast.Call) -> bool:
    """`click.option(…)`, `click.argument(…)`: options whose help the CLI shows."""
    f = node.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "click" and \
        f.attr in ("option", "argument")


def _is_command(decorator) -> bool:
    """`@main.command()`, `@click.group(…)`: a function whose docstring is a command's help."""
    f = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(f, ast.Attribute) and f.attr in ("command", "group")


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
