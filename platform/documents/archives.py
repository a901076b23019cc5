"""Archive pre-checks (DOCX and ODT are ZIPs), read from the central directory BEFORE anything is inflated."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from typing import Any

from documents.i18n import gettext_noop, localize

# Real DOCX/ODT files have tens of entries and compress XML ~5-20x; these bounds leave a wide margin.
MAX_ENTRIES = 1000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ENTRY_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_SIZE = 1024 * 1024  # tiny entries may compress absurdly well without being dangerous
_NESTED_SUFFIXES = (
    ".zip",
    ".docx",
    ".docm",
    ".xlsx",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".jar",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".7z",
    ".rar",
    ".tar",
    ".cab",
)


@dataclass(frozen=True)
class Limits:
    max_entries: int = MAX_ENTRIES
    max_total: int = MAX_TOTAL_UNCOMPRESSED
    max_entry: int = MAX_ENTRY_UNCOMPRESSED
    max_ratio: int = MAX_RATIO


class ArchiveRejected(Exception):
    """`message` is English (logs, audit); `localized()` is for the person reading it."""

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        self.template, self.params = message, params or {}
        self.code = code
        self.message = message % self.params if self.params else message
        super().__init__(self.message)

    def localized(self) -> str:
        return localize(self.template, self.params)


def archive_check(archive: zipfile.ZipFile, limits: Limits = Limits()) -> set[str]:
    """Reject bombs and tricks using only the central directory; return the entry names."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveRejected(
            "archive_too_many_entries",
            gettext_noop(
                "The document archive has %(entries)s entries (at most %(limit)s allowed); "
                "it is not a normal DOCX/ODT and was rejected. Re-save it from your word processor."
            ),
            {"entries": len(infos), "limit": limits.max_entries},
        )
    names: set[str] = set()
    total = 0
    for info in infos:
        _check_name(info, names)
        names.add(info.filename)
        total += info.file_size
        _check_entry_size(info, limits)
    if total > limits.max_total:
        raise ArchiveRejected(
            "archive_too_large",
            gettext_noop(
                "The document would inflate to %(size)s MB (at most %(limit)s MB allowed) and was rejected. "
                "Split it or remove embedded media."
            ),
            {"size": total // (1024 * 1024), "limit": limits.max_total // (1024 * 1024)},
        )
    return names


def _check_name(info: zipfile.ZipInfo, seen: set[str]) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if (
        name.startswith(("/", "\\"))
        or ".." in parts
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
        or "\\" in name
    ):
        raise ArchiveRejected(
            "archive_path_trick",
            gettext_noop("The document archive contains an unsafe path. It was rejected; re-save the document."),
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveRejected(
            "archive_symlink",
            gettext_noop("The document archive contains a symbolic link. It was rejected; re-save the document."),
        )
    if name in seen:
        raise ArchiveRejected(
            "archive_duplicate_entry",
            gettext_noop("The document archive lists the same file twice. It was rejected; re-save the document."),
        )
    if name.lower().endswith(_NESTED_SUFFIXES):
        raise ArchiveRejected(
            "archive_nested",
            gettext_noop(
                "The document embeds another archive or office file; it was rejected. "
                "Remove embedded files and upload again."
            ),
        )


def _check_entry_size(info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.file_size > limits.max_entry:
        raise ArchiveRejected(
            "archive_entry_too_large",
            gettext_noop(
                "A part of the document inflates to %(size)s MB (at most %(limit)s MB); it was rejected. "
                "Split the document."
            ),
            {"size": info.file_size // (1024 * 1024), "limit": limits.max_entry // (1024 * 1024)},
        )
    if info.file_size >= RATIO_MIN_SIZE:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ArchiveRejected(
                "archive_ratio",
                gettext_noop(
                    "A part of the document is compressed %(ratio)s:1 (at most %(limit)s:1): "
                    "this is how zip bombs look. It was rejected."
                ),
                {"ratio": f"{ratio:.0f}", "limit": limits.max_ratio},
            )
