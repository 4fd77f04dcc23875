"""The Chinese translation is complete, matches the code, and is compiled: every string the code marks
for translation is in the .ts file, translated, with the same placeholders, and the .qm is current."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scripts.translations import TRANSLATIONS, release, update_ts

TS = TRANSLATIONS / "kvchat_zh_CN.ts"
PLACEHOLDER = re.compile(r"\{[a-z_]*[^}]*\}|%n")
# English that a Chinese interface keeps: the word token, product terms, key names.
KEPT_IN_CHINESE = re.compile(r"\btokens?\b|flash attention|\bshift\b|\benter\b", re.IGNORECASE)


def has_english_words(source: str) -> bool:
    return bool(re.search(r"[a-z]{4,}", KEPT_IN_CHINESE.sub("", PLACEHOLDER.sub("", source))))


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    return {(context.findtext("name"), message.findtext("source")): message
            for context in root.iter("context") for message in context.iter("message")}


def translations_of(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    forms = translation.findall("numerusform")
    return [f.text or "" for f in forms] if forms else [translation.text or ""]


def test_the_ts_file_holds_exactly_the_strings_in_the_code(tmp_path):
    fresh = tmp_path / TS.name
    shutil.copy(TS, fresh)
    update_ts(fresh)  # what pyside6-lupdate finds in app/ today, keeping the translations
    assert set(messages(fresh)) == set(messages(TS)), "run: python scripts/translations.py"


def test_every_string_is_translated_with_the_same_placeholders():
    found = messages(TS)
    assert len(found) > 300
    for (context, source), message in found.items():
        translation = message.find("translation")
        assert translation.get("type") not in ("unfinished", "vanished", "obsolete"), (context, source)
        for text in translations_of(message):
            assert text.strip(), (context, source)
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (context, source, text)
            assert re.search(r"[\u4e00-\u9fff]", text) or not has_english_words(source), (context, source, text)


def test_the_compiled_qm_is_current(tmp_path):
    qm = TS.with_suffix(".qm")
    assert qm.is_file(), "run: python scripts/translations.py"
    release(TS, tmp_path / qm.name)
    assert (tmp_path / qm.name).read_bytes() == qm.read_bytes(), "run: python scripts/translations.py"


@pytest.mark.parametrize("source, shortcut", [("&File", "(&F)"), ("&Quit", "(&Q)")])
def test_menu_mnemonics_follow_the_chinese_convention(source, shortcut):
    (text,) = translations_of(messages(TS)[("Menus", source)])
    assert text.endswith(shortcut)
