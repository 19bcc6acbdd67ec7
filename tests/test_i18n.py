"""The interface language: every message the code shows has its Chinese translation."""

from __future__ import annotations

import gettext
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
messages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(messages)
PO = ROOT / "searchkit" / "locale" / "zh_CN" / "LC_MESSAGES" / "searchkit.po"


def test_every_message_has_its_chinese_translation():
    """The same check as `python scripts/messages.py`: a msgid missing from the compiled
    catalog (or translated as itself) fails, naming where it is used."""
    with open(PO.with_suffix(".mo"), "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    keys = {k[0] if isinstance(k, tuple) else k for k in catalog}
    missing = {m: where for m, where in messages.msgids().items() if m not in keys}
    assert not missing, missing
    assert messages.main([]) == 0


def test_library_errors_speak_the_chosen_language():
    """Messages are built when raised, so the language chosen then is the one they are in."""
    from searchkit.errors import QuerySyntaxError, UsageError
    from searchkit.i18n import set_language
    from searchkit.query import canonical_district, parse_query

    set_language("zh")
    with pytest.raises(QuerySyntaxError, match="引号不配对：第 3 个字符处"):
        parse_query('西湖"龙井')
    with pytest.raises(UsageError, match="未知的区县 '火星'；可用：上城区、拱墅区"):
        canonical_district("火星")
    set_language("en")
    with pytest.raises(QuerySyntaxError, match='unbalanced quote: the " at position 3 is never closed'):
        parse_query('西湖"龙井')


@pytest.mark.parametrize("value, lang", [("zh_CN.UTF-8", "zh"), ("zh_TW", "zh"), ("en_US.UTF-8", "en"), ("C", "en")])
def test_the_locale_chooses_the_language(monkeypatch, value, lang):
    from searchkit import i18n

    for var in ("SEARCHKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", value)
    i18n.set_language(None)
    assert i18n.language() == lang
