"""The dashboard's upload tokens: what CI sends with, to add events to CI runs and nothing else.

`PYTEST_WEB_UPLOAD_TOKEN` holds one or more, comma-separated, so a token can be rotated: add the
new one, move CI to it, remove the old one. An entry `PROJECT=TOKEN` is good for that project
only; any other entry for every project. Every token is compared in constant time, and all of
them are compared whichever matches, so how long a check takes says nothing about which did.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass


class UploadTokenError(ValueError):
    """A token that is too short, or that is also the dashboard's sign-in token."""


@dataclass(frozen=True)
class UploadToken:
    secret: str
    project: str | None = None
    """The one project it may send to; None for every project."""


def parse_upload_tokens(
    value: str, min_length: int, sign_in_token: str = ""
) -> tuple[UploadToken, ...]:
    """The tokens of `PYTEST_WEB_UPLOAD_TOKEN`; `UploadTokenError` for one shorter than
    `min_length` (the sign-in token's minimum, `settings.MIN_TOKEN_LENGTH`) or equal to the
    sign-in token."""
    found = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        project, _, secret = entry.rpartition("=")
        token = UploadToken(secret, project) if project and len(secret) >= min_length else None
        token = token or UploadToken(entry)
        if len(token.secret) < min_length:
            raise UploadTokenError(
                f"an upload token must be at least {min_length} characters (one has "
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
