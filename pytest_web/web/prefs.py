"""What the page remembers in the browser: the colour theme and the editor that "open in editor"
links open. Each is a cookie that the server reads with every request, so the first paint is
already right (no flash of the wrong theme) and the links are in the HTML, with script or not.

The editor cookie is checked like `--editor` (`editor.editor_template`): a link can never be
`javascript:`, `data:` or a web page's. A cookie that does not pass is ignored, and the
server's `--editor` applies.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_web.web.editor import EDITORS, EditorError, editor_template, editor_url

THEME_COOKIE = "pytest-web-theme"
EDITOR_COOKIE = "pytest-web-editor"
COOKIE_AGE = 400 * 24 * 3600
"""Seconds: the longest a browser keeps a cookie."""
NO_EDITOR = "none"
"""The editor cookie's value that turns the links off, whatever `--editor` says."""
THEMES = {"": ("Auto", "light"), "light": ("Light", "dark"), "dark": ("Dark", "")}
"""Each theme ('' follows the system): its word, and the theme the toggle switches to next
(static/page.js holds the same cycle)."""


def theme_choice(value: object) -> str:
    """A theme from a cookie or a form ('' for the system's)."""
    return value if isinstance(value, str) and value in THEMES else ""


@dataclass(frozen=True)
class Editor:
    """Where the page's "open in editor" links point: a URL template (none: no links), and the
    repository's path here and on the editor's machine."""

    template: str = ""
    repo: str = ""
    root: str = ""
    setting: str = ""
    """What chose it: the cookie's value ('' when the server's `--editor` applies)."""

    def url(self, path: str, line: int | str | None) -> str:
        """The link to `path` (relative to the repository, or absolute) at `line`; '' without
        an editor."""
        if not self.template or not path:
            return ""
        number = int(line) if isinstance(line, str) and line.isdigit() else line
        normal = posixpath.normpath(path if path.startswith("/") else f"{self.repo}/{path}")
        return editor_url(
            self.template, normal, number if isinstance(number, int) else None, self.repo, self.root
        )

    @property
    def name(self) -> str:
        """The editor's name, or its template."""
        found = [name for name, template in EDITORS.items() if template == self.template]
        return found[0] if found else self.template


def editor_for(cookies: Mapping[str, str], server_template: str, repo: str, root: str) -> Editor:
    """The editor of a request: the cookie's when it is a safe one, else the server's."""
    setting = cookies.get(EDITOR_COOKIE, "")
    if setting == NO_EDITOR:
        return Editor("", repo, root, NO_EDITOR)
    try:
        template = editor_template(setting)
    except EditorError:
        template = ""
    if template:
        return Editor(template, repo, root, setting)
    return Editor(server_template, repo, root)


def editor_choice(editor: Editor) -> tuple[str, str]:
    """What the settings form shows as chosen: the select's value ('' for the server's
    `--editor`, "none", an editor's name or "custom") and the custom template."""
    setting = editor.setting
    if setting in ("", NO_EDITOR) or setting in EDITORS:
        return setting, ""
    return "custom", setting


def editor_setting(choice: str, template: str) -> str:
    """The editor cookie's value from the settings form (its select and template)."""
    choice = choice.strip()
    return template.strip() if choice == "custom" else choice
