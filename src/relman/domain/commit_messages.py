"""Commit messages (J-003 §5.4): normalize a message and split it into header, body and footers.

The message shape of Conventional Commits 1.0.0, before the header is judged
(:func:`relman.domain.commits.parse_commit` does that)::

    <type>(<scope>): <description>

    [optional body]

    [optional footer]

Splitting rules (the ones the spec leaves open are decided here, once):

- CRLF/CR line ends become LF; trailing whitespace and leading/trailing blank lines are dropped.
- Footers are ``Token: value`` or ``Token #value`` (the value keeps its ``#``: ``Closes #12``
  -> ``Footer("Closes", "#12")``). ``BREAKING CHANGE`` and ``BREAKING-CHANGE`` are the only
  tokens with a space/hyphen exception. The footer block is the trailing run of paragraphs whose
  first line starts with a footer token; inside it, lines that do not start a new footer continue
  the previous value (indentation stripped). A ``BREAKING CHANGE:`` paragraph starts the footer
  block even when prose paragraphs follow it (they continue the breaking note).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

BREAKING_TOKENS = frozenset({"breaking-change"})  # normalized: lowercased, space -> hyphen

_FOOTER = re.compile(
    r"^(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)"
    r"(?::(?:[ \t]+(?P<value>.*))?$|[ ](?P<hash>#.*)$)"
)


@functools.lru_cache(maxsize=1024)
def normalize_token(token: str) -> str:
    """Footer tokens compare case-insensitively; ``BREAKING CHANGE`` == ``BREAKING-CHANGE``."""
    return token.strip().lower().replace(" ", "-")


@dataclass(frozen=True, slots=True)
class Footer:
    token: str
    value: str

    @property
    def is_breaking(self) -> bool:
        return normalize_token(self.token) in BREAKING_TOKENS


@dataclass(frozen=True, slots=True)
class MessageParts:
    """A message split into header, body and footers, before any header validation."""

    header: str
    body: str
    footers: tuple[Footer, ...]
    lines: tuple[str, ...]  # every normalized line, header first


def normalize_lines(message: str) -> list[str]:
    """The lines of :func:`normalize_message`."""
    if "\r" in message:
        message = message.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in message.split("\n")]
    if not lines[-1] or not lines[0]:
        end = len(lines)
        while end and not lines[end - 1]:
            end -= 1
        start = 0
        while start < end and not lines[start]:
            start += 1
        lines = lines[start:end]
    return lines


def normalize_message(message: str) -> str:
    """LF line ends, no trailing whitespace, no leading/trailing blank lines."""
    return "\n".join(normalize_lines(message))


def parse_footer_line(line: str) -> Footer | None:
    """``Token: value`` / ``Token #value`` / ``BREAKING CHANGE: value``, else None."""
    match = _FOOTER.match(line)
    if match is None:
        return None
    value = match.group("hash") or match.group("value") or ""
    return Footer(match.group("token"), value.strip())


def split_message(message: str) -> MessageParts:
    """Split into header, body and footer block (see the module docstring for the rules)."""
    return split_lines(normalize_lines(message))


def split_lines(lines: list[str]) -> MessageParts:
    """:func:`split_message` of lines already normalized by :func:`normalize_lines`."""
    if len(lines) <= 1:  # a header alone (most commits)
        return MessageParts(
            header=lines[0] if lines else "", body="", footers=(), lines=(*lines,) or ("",)
        )
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines[1:]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    match = _FOOTER.match
    heads = [match(para[0]) for para in paragraphs]  # paragraphs that start like a footer
    start = len(paragraphs)
    while start > 0 and heads[start - 1] is not None:
        start -= 1
    for index in range(start):
        found = heads[index]
        if found is not None and normalize_token(found.group("token")) in BREAKING_TOKENS:
            start = index
            break
    if start == 0:
        body = ""
    elif start == 1:
        body = "\n".join(paragraphs[0])
    else:
        body = "\n\n".join("\n".join(para) for para in paragraphs[:start])
    footers = (
        _parse_footer_block(paragraphs[start:], heads[start:]) if start < len(paragraphs) else ()
    )
    return MessageParts(header=lines[0], body=body, footers=footers, lines=tuple(lines))


def _parse_footer_block(
    paragraphs: list[list[str]], heads: list[re.Match[str] | None]
) -> tuple[Footer, ...]:
    tokens: list[str] = []
    values: list[str] = []
    match = _FOOTER.match
    for para, head in zip(paragraphs, heads, strict=True):
        for number, line in enumerate(para):
            found = head if number == 0 else match(line)
            if found is not None:
                tokens.append(found.group("token"))
                values.append((found.group("hash") or found.group("value") or "").strip())
            else:  # a continuation of the previous value (blank lines kept as paragraph breaks)
                values[-1] += ("\n\n" if number == 0 else "\n") + line.strip()
    return tuple(Footer(token, value.strip()) for token, value in zip(tokens, values, strict=True))
