"""Links that open a file at a line in the user's editor, and the command that reruns a test.

An editor is named (`vscode`, `vscode-insiders`, `cursor`, `pycharm`) or given as a URL
template with `{path}` and `{line}`. A template must start with a URL scheme of its own and can
never be `javascript:`, `data:` or a web page's: the link lands in a page of test output. In a
container, `editor_root` replaces the repository's path (`/repo`) by the one on the host.
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath
from urllib.parse import quote

EDITORS = {
    "vscode": "vscode://file/{path}:{line}",
    "vscode-insiders": "vscode-insiders://file/{path}:{line}",
    "cursor": "cursor://file/{path}:{line}",
    "pycharm": "pycharm://open?file={path}&line={line}",
}
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]{1,30}:")
REFUSED_SCHEMES = frozenset({"javascript:", "data:", "vbscript:", "http:", "https:", "file:"})


class EditorError(ValueError):
    """An editor setting that cannot make safe links; the message says why."""


def editor_template(setting: str) -> str:
    """The URL template of an editor setting ('' for none)."""
    setting = setting.strip()
    if not setting:
        return ""
    if setting in EDITORS:
        return EDITORS[setting]
    scheme = _SCHEME.match(setting.lower())
    if scheme is None or scheme.group(0) in REFUSED_SCHEMES:
        raise EditorError(
            f"--editor takes {', '.join(EDITORS)} or a URL template of an editor's own scheme "
            "with {path} and {line}"
        )
    if "{path}" not in setting or len(setting) > 500:
        raise EditorError("an editor URL template needs {path} (and may use {line})")
    return setting


def editor_url(template: str, path: str, line: int | None, repo: str, editor_root: str) -> str:
    """The link for `path` (absolute, or relative to the repository) at `line`; '' without an
    editor."""
    if not template or not path:
        return ""
    full = PurePosixPath(path) if path.startswith("/") else PurePosixPath(repo) / path
    if editor_root and full.is_relative_to(repo):
        full = PurePosixPath(editor_root) / full.relative_to(repo)
    text = quote(str(full), safe="/:")
    if "/{path}" in template and "//{path}" not in template:  # vscode://file/{path}: one slash
        text = text.lstrip("/")  # before an absolute path, not two (a network share)
    return template.replace("{path}", text).replace("{line}", str(line or 1))


def rerun_command(nodeid: str, options: list[str]) -> str:
    """The command that reruns one test in a terminal with the run's options, without
    pytest-web's own plugin."""
    return shlex.join(["pytest", *options, nodeid])
