"""Filenames from outside (uploads, email attachments) made safe to display and to offer for
download. Pure: no Django, no ORM (mypy --strict)."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME = 255
_RESERVED = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def sanitize_filename(name: str, *, fallback: str = "attachment") -> str:
    """A display filename: no directories, control or reserved characters, leading dots.

    At most 255 characters, keeping the extension; never empty.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # C:\\Users\\me\\log.txt, ../../etc/passwd
    # Control and format characters, including the right-to-left override that makes
    # "invoice‮fdp.exe" display as "invoiceexe.pdf".
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split())
    name = name.strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _WINDOWS_DEVICES:
        name = f"_{name}"
    if not name:
        name = fallback
    if len(name) > MAX_FILENAME:
        suffix = f".{ext}" if dot and 0 < len(ext) <= 16 else ""
        name = name[: MAX_FILENAME - len(suffix)].rstrip(" .") + suffix
    return name
