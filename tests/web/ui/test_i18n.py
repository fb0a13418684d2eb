"""The UI's messages: every one extracted from web/ has a Chinese translation, compiled, none hard-coded."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _extracted() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "web"), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog():
    with open(CATALOG / "messages.po", "rb") as po:
        return read_po(po)


def test_every_message_of_the_ui_has_a_chinese_translation():
    catalog, extracted = _catalog(), _extracted()
    assert {"Inbox", "Verify integrity", "Handling officer"} <= extracted  # extraction sees templates and code
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and m.string and all(m.string) and not m.fuzzy
    }
    missing = sorted(extracted - translated)
    assert not missing, f"add these to {CATALOG / 'messages.po'}: {missing}"


def _compiled(compiled: Translations, message) -> str:
    return compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)


def test_the_compiled_catalog_matches_its_source():
    with open(CATALOG / "messages.mo", "rb") as mo:
        compiled = Translations(mo)
    stale = [m.id for m in _catalog() if m.id and not isinstance(m.id, tuple) and _compiled(compiled, m) != m.string]
    assert not stale, f"run pybabel compile -d web/translations: {stale[:5]}"


def test_templates_hard_code_no_chinese_text():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "web").rglob("*.html") if HAN.search(p.read_text("utf-8"))]
    assert not offenders, f"wrap the text in _() and translate it in messages.po: {offenders}"
