"""Find what opens a login into an image or a booting instance, in a script or document (plain Python).

Three kinds, each a way to get a shell that bypasses Session Manager: writing a public key to
``authorized_keys`` (or cloud-init's ``ssh_authorized_keys``, ``ssh-import-id``), turning on SSH
password or root logins (``PasswordAuthentication yes``, ``PermitRootLogin yes``, cloud-init's
``ssh_pwauth``), and giving a user a password (``chpasswd``, ``passwd --stdin``, ``useradd -p``,
``net user NAME PASSWORD /add``). Comments are skipped, and in a ``sed`` substitution only the
replacement counts (``s/PasswordAuthentication yes/PasswordAuthentication no/`` turns it off).
"""

from __future__ import annotations

import re

__all__ = ["find_logins"]

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?:>>?|\btee\b(?:\s+-a)?|\b(?:cp|mv|install|ln)\b[^\n]*?)\s*[\"']?[^\s\"';|&]*authorized_keys"),
        "writes a key to authorized_keys",
    ),
    (
        re.compile(r"(?im)^\s*(?:-\s*)?ssh_authorized_keys\s*:"),
        "gives a user an SSH key (cloud-init ssh_authorized_keys)",
    ),
    (re.compile(r"\bssh-(?:import|copy)-id\b"), "installs an SSH key (ssh-import-id/ssh-copy-id)"),
    (re.compile(r"(?i)\bPasswordAuthentication\s*[\"']?\s*(?:yes|true)\b"), "turns on SSH password logins"),
    (re.compile(r"(?i)\bPermitRootLogin\s+(?:yes|true)\b"), "turns on SSH root logins"),
    (re.compile(r"(?im)^\s*ssh_pwauth\s*:\s*(?:true|yes|1)\b"), "turns on SSH password logins (cloud-init ssh_pwauth)"),
    (re.compile(r"(?im)^\s*(?:-\s*)?(?:plain_text_passwd|hashed_passwd)\s*:"), "gives a user a password (cloud-init)"),
    (re.compile(r"\bchpasswd\b"), "sets a user's password (chpasswd)"),
    (re.compile(r"\bpasswd\b[^\n|;&]*--stdin"), "sets a user's password (passwd --stdin)"),
    (re.compile(r"\b(?:useradd|adduser|usermod)\b[^\n|;&]*\s(?:-p|--password)\s+\S"), "sets a user's password"),
    (re.compile(r"(?i)\bnet\s+user\s+\S+\s+\S+[^\n]*/add\b"), "creates a Windows user with a password"),
)
_SED_SUBSTITUTION = re.compile(r"(?<=[\s'\"])s([/|#,:@])((?:(?!\1).)*)\1((?:(?!\1).)*)\1")


def _code(content: str) -> str:
    lines = []
    for line in content.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#") and not stripped.startswith("#cloud-config"):
            continue
        lines.append(_SED_SUBSTITUTION.sub(lambda m: f" {m.group(3)} ", line))
    return "\n".join(lines)


def find_logins(content: str) -> list[str]:
    """What in ``content`` opens a login (one description per kind found, in a stable order)."""
    code = _code(content)
    return [what for pattern, what in _PATTERNS if pattern.search(code)]
