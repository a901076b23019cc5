"""A job's result: one Markdown text, or one per target language for a translation into several languages.

`Job.result_sha256` is always the SHA-256 of the UTF-8 bytes of `Job.result_markdown`:
- a summary, or a translation into one language: that text (unchanged from single-language jobs);
- a translation into several languages: the canonical combined output below, which is also what
  `GET /api/v1/jobs/{id}/result?format=md` returns without `language=`. Each language's own text has its own digest
  in `Job.result_digests` (and is downloaded with `language=<code>`).
"""

from __future__ import annotations

import hashlib
import re

MARKER = "<!-- tramontane:language={code} -->"
_MARKER = re.compile(r"^<!-- tramontane:language=([a-z]{2,8}) -->$")


def digest(markdown: str) -> str:
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def combined_markdown(results: dict[str, str], order: list[str]) -> str:
    """The canonical combined output: the single text as is, or for several languages each text preceded by its
    marker line and a blank line, in the order the languages were requested, separated by one blank line."""
    if len(order) == 1:
        return results[order[0]]
    return "\n\n".join(f"{MARKER.format(code=code)}\n\n{results[code]}" for code in order)


def language_marker(line: str) -> str | None:
    """The language code when `line` is a combined output's language marker."""
    match = _MARKER.match(line.strip())
    return match.group(1) if match else None
