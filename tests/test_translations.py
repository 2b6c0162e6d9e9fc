"""The Arabic translation is complete, compiled, and covers every string in the code."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(PO_FILE))


def test_translation_arabic_is_complete(catalogue):
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_translation_arabic_keeps_placeholders(catalogue):
    for entry in catalogue.translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) <= wanted | set(
                PLACEHOLDER.findall(entry.msgid_plural)
            ), entry.msgid
            if not entry.msgid_plural:
                assert set(PLACEHOLDER.findall(text)) == wanted, entry.msgid


def test_translation_compiled_file_matches_catalogue(catalogue):
    """The committed .mo is the compiled .po (run `make messages` after editing it)."""
    with translation.override("ar"):
        for entry in catalogue.translated_entries():
            if entry.msgid_plural or entry.msgctxt:
                continue
            assert translation.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_translation_catalogue_has_every_string_in_the_code(tmp_path):
    """A string added to the code without its Arabic translation fails here."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext (xgettext) is missing on CI: apt-get install gettext")
        pytest.skip("GNU gettext is not installed here (apt-get install gettext); CI runs this")
    for name in ("crm", "crm_project", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale" / "ar" / "LC_MESSAGES").mkdir(parents=True)
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "crm_project.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ar"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(tmp_path / "locale" / "ar" / "LC_MESSAGES" / "django.po"))
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO_FILE))}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in known)
    assert not missing, f"add these to locale/ar (make messages): {missing}"
