"""The interface language: messages are written in English and translated with gettext.

The catalogs live in `searchkit/locale/<lang>/LC_MESSAGES/searchkit.po`, compiled to
`.mo` with the standard tool (`msgfmt -o searchkit.mo searchkit.po`). The language comes
from `--lang`, else `$SEARCHKIT_LANG`, else the locale (`LANGUAGE`, `LC_ALL`,
`LC_MESSAGES`, `LANG`, in gettext's order): Chinese for a `zh*` locale, else English.
"""

from __future__ import annotations

import gettext
import os
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "searchkit"
LOCALE_DIR = Path(__file__).with_name("locale")
ENV = "SEARCHKIT_LANG"
LANGUAGES = {"zh": "zh_CN", "en": "en"}

_chosen: str | None = None
_translations: dict[str, gettext.NullTranslations] = {}
# The language of what is being done now, when it is not the process's: a web request's
# (`?lang=`), so that the messages built while answering it are in the page's language.
speaking: ContextVar[str | None] = ContextVar("searchkit_language", default=None)


def language() -> str:
    """"zh" or "en"."""
    lang = speaking.get()
    if lang:
        return lang
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


def enumerate_items(items) -> str:
    """Names in a message, as the language lists them: 上城区、拱墅区 / a, b."""
    return ("、" if language() == "zh" else ", ").join(items)


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; translate it with `_` where shown."""
    return message


# click's own messages (usage lines, option errors, help headings), translated with our
# catalog: click looks them up with `gettext.gettext`, which `install_click` points here.
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."), N_("Show the version and exit."),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("No such option: {name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter: {param_name}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("Got unexpected extra argument ({args})"),
    N_("Option {name!r} requires an argument."),
    N_("{value!r} is not {choice}."), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("default: {default}"), N_("Aborted!"),
    N_("Did you mean {possibility}?"), N_("Missing command."),
    N_("Option {name!r} does not take a value."), N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."), N_("file"), N_("path"), N_("directory"),
)


def install_click() -> None:
    """Make click's own messages go through our catalog, in the chosen language."""
    import importlib

    for name in ("core", "exceptions", "formatting", "types", "decorators", "parser", "termui", "utils"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover
            continue
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
