"""The dashboard's upload tokens: what CI sends with, to add events to CI runs and nothing else.

`PYTEST_WEB_UPLOAD_TOKEN` holds one or more, comma-separated, so a token can be rotated: add the
new one, move CI to it, remove the old one. An entry `PROJECT=TOKEN` is good for that project
only; any other entry for every project. Every token is compared in constant time, and all of
them are compared whichever matches, so how long a check takes says nothing about which did.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

MIN_LENGTH = 16
"""Shorter tokens are refused at start: a dashboard is reachable from CI, so from a network."""


class UploadTokenError(ValueError):
    """A token that is too short, or that is also the dashboard's sign-in token."""


@dataclass(frozen=True)
class UploadToken:
    secret: str
    project: str | None = None
    """The one project it may send to; None for every project."""


def parse_upload_tokens(value: str, sign_in_token: str = "") -> tuple[UploadToken, ...]:
    """The tokens of `PYTEST_WEB_UPLOAD_TOKEN`; `UploadTokenError` for a bad one."""
    found = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        project, _, secret = entry.rpartition("=")
        token = UploadToken(secret, project) if project and len(secret) >= MIN_LENGTH else None
        token = token or UploadToken(entry)
        if len(token.secret) < MIN_LENGTH:
            raise UploadTokenError(
                f"an upload token must be at least {MIN_LENGTH} characters (one has "
                f"{len(token.secret)})"
            )
        if sign_in_token and secrets.compare_digest(token.secret, sign_in_token):
            raise UploadTokenError("an upload token must differ from PYTEST_WEB_TOKEN")
        found.append(token)
    return tuple(found)


def matching(tokens: tuple[UploadToken, ...], candidate: str) -> UploadToken | None:
    """The token `candidate` is, compared with each in constant time; None when none."""
    found = None
    given = candidate.encode()
    for token in tokens:
        if secrets.compare_digest(given, token.secret.encode()):
            found = token
    return found
