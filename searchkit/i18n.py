"""The interface language: messages are written in English and translated with gettext.

The catalogs live in `searchkit/locale/<lang>/LC_MESSAGES/searchkit.po`, compiled to
`.mo` with the standard tool (`msgfmt -o searchkit.mo searchkit.po`). The language comes
from `--lang`, else `$SEARCHKIT_LANG`, else the locale (`LANGUAGE`, `LC_ALL`,
`LC_MESSAGES`, `LANG`, in gettext's order): Chinese for a `zh*` locale, else English.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "searchkit"
LOCALE_DIR = Path(__file__).with_name("locale")
ENV = "SEARCHKIT_LANG"
LANGUAGES = {"zh": "zh_CN", "en": "en"}

_chosen: str | None = None
_translations: dict[str, gettext.NullTranslations] = {}


def language() -> str:
    """"zh" or "en"."""
    if _chosen:
        return _chosen
    wanted = os.environ.get(ENV, "")
    if not wanted:
        for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(var, "")
            if value:
                wanted = value.split(":")[0]
                break
    return "zh" if wanted.lower().startswith("zh") else "en"


def set_language(lang: str | None) -> None:
    """Choose the language for this process (`--lang`); None goes back to the environment."""
    global _chosen
    _chosen = lang


def translation(lang: str | None = None) -> gettext.NullTranslations:
    lang = lang or language()
    if lang not in _translations:
        _translations[lang] = gettext.translation(DOMAIN, LOCALE_DIR, languages=[LANGUAGES.get(lang, lang)],
                                                  fallback=True)
    return _translations[lang]


def _(message: str) -> str:
    return translation().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translation().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; translate it with `_` where shown."""
    return message
