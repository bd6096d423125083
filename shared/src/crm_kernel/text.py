"""What text the platform takes from outside, in one place (issue 10).

A name, owner, tag or label is one line of visible text: no control characters at all (C0,
DEL, C1: NUL among them) and no bidi overrides, embeddings or isolates (U+202A-U+202E,
U+2066-U+2069), which make a name read otherwise than it is stored ("Trojan Source"). Free
text (notes, descriptions, reasons, postal addresses) may also hold line breaks and tabs
(U+000A, U+000D, U+0009) and bidi controls, which right-to-left writers use; other control
characters are refused there too. A lone surrogate (U+D800-U+DFFF alone, sent as the JSON
escape "\\ud800") is no text at all: the store and Kafka cannot encode it.
"""

from __future__ import annotations

import re
import unicodedata

# The two rules, as JSON Schema (ECMA-262) patterns too, so the OpenAPI documents say them.
_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_BREAKS = "\\x09\\x0a\\x0d"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"
LINE_PATTERN = f"^[^{_CONTROLS}{_BREAKS}{_BIDI}]*$"
TEXT_PATTERN = f"^[^{_CONTROLS}]*$"
_LINE_REFUSED = re.compile(f"[{_CONTROLS}{_BREAKS}{_BIDI}]")
_TEXT_REFUSED = re.compile(f"[{_CONTROLS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def refused_in_line(value: str) -> str | None:
    """Why `value` is no name, owner, tag or label (one line of visible text); None if it is."""
    return _why(value, _LINE_REFUSED)


def refused_in_text(value: str) -> str | None:
    """Why `value` is no free text (line breaks, tabs and bidi controls allowed); None if it is."""
    return _why(value, _TEXT_REFUSED)


def _why(value: str, refused: re.Pattern[str]) -> str | None:
    if found := _SURROGATE.search(value):
        return f"holds a lone surrogate (U+{ord(found.group()):04X}): send valid Unicode text"
    if found := refused.search(value):
        code = ord(found.group())
        kind = "a bidi control" if 0x202A <= code <= 0x2069 else "a control character"
        return f"holds {kind} (U+{code:04X}) at position {found.start()}: remove it"
    return None


def preview(value: object, limit: int = 40) -> str:
    """A short, encodable rendering of what a client sent, for an error message:
    never the whole input (a 422 once echoed 100 MB), never a lone surrogate (its answer
    could not be encoded: a 500)."""
    shown = value if isinstance(value, str) else str(value)
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(shown) > limit:
        return f"{shown[:limit]}... ({len(shown)} characters)"
    return shown


def collapse_spaces(value: str) -> str:
    """`value` with every run of white space made one space, and none at either end."""
    return " ".join(value.split())


def without_accents(value: str) -> str:
    """`value` case-folded and without accents (NFKD, combining marks dropped), so that
    "José" and "JOSE" compare equal: what name matching and name search compare."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
