"""Every fixed string of the reports, in English and Chinese.

Templates, charts and workbooks take their words from :func:`strings`; both languages have the same keys (a test
checks it). Strings with ``{name}`` fields are formatted with :meth:`str.format`. The vocabulary is data, the
package file ``data/report-strings.yaml`` (each key with its ``en`` and ``zh`` side by side), read once when this
module is imported; only the illustrative-data notice comes from code, shared with the other outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from .._result import illustrative_notice
from ..errors import ReportError

__all__ = ["LANGS", "STRINGS", "strings"]

LANGS = ("en", "zh")
#: The package file holding the vocabulary.
VOCABULARY = "report-strings.yaml"


def _load(text: str, source: str = VOCABULARY) -> dict[str, dict[str, str]]:
    """``{lang: {key: string}}`` from the vocabulary file's text, refusing an entry that lacks a language or is not
    text (naming the key), so that a missing translation fails when the package loads, not in a report."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw: Any = yaml.load(text, Loader=loader)  # a safe loader, C or Python
    if not isinstance(raw, dict):
        raise ReportError(f"{source}: expected a mapping of keys to {{en: ..., zh: ...}}")
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or sorted(entry) != sorted(LANGS) or \
                not all(isinstance(v, str) for v in entry.values()):
            raise ReportError(f"{source}, key {key!r}: expected text for exactly {', '.join(LANGS)}")
        for lang in LANGS:
            out[lang][str(key)] = entry[lang]
    return out


def _vocabulary() -> dict[str, dict[str, str]]:
    text = (resources.files("clusterleap") / "data" / VOCABULARY).read_text(encoding="utf-8")
    out = _load(text)
    for lang in LANGS:
        out[lang]["illustrative"] = illustrative_notice(lang)
    return out


STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {lang: MappingProxyType(words) for lang, words in _vocabulary().items()})


def strings(lang: str) -> Mapping[str, str]:
    """The strings of ``lang`` ('en' or 'zh')."""
    if lang not in STRINGS:
        raise ReportError(f"report language {lang!r}: expected one of {', '.join(LANGS)}")
    return STRINGS[lang]
