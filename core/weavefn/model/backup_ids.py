"""weavefn's backup ids say the Weaviate version they were taken on (pure).

A backup outlives the cluster that took it, and restoring one into an older Weaviate than
wrote it is refused; so the version travels in the id itself, the one thing a user has when
creating a cluster from a backup elsewhere: ``weavefn-scheduled-v1-27-3-20261125t030000z``.
Weaviate allows only ``[a-z0-9_-]`` in ids, so dots become dashes, and a prerelease's dots and
dashes become underscores (``1.28.0-rc.1`` -> ``v1-28-0-rc_1``).
"""

from __future__ import annotations

import re

from weavefn.model.units import Version

_TAGGED = re.compile(
    r"-v(0|[1-9][0-9]*)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)(?:-([0-9a-z_]+))?-\d{8}t\d{6}z$"
)


def version_tag(version: str) -> str:
    """``1.27.3`` -> ``v1-27-3``; the part of an id that names the version."""
    parsed = Version.parse(version)
    tag = f"v{parsed.major}-{parsed.minor}-{parsed.patch}"
    if parsed.prerelease:
        tag += "-" + re.sub(r"[^0-9a-z]+", "_", parsed.prerelease.lower())
    return tag


def version_of(backup_id: str) -> Version | None:
    """The version a weavefn backup id names, or None when it names none."""
    match = _TAGGED.search(backup_id)
    if match is None:
        return None
    text = f"{match[1]}.{match[2]}.{match[3]}"
    if match[4]:
        text += "-" + match[4].replace("_", ".")
    return Version.parse(text)
