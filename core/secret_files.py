"""The one way the portal writes a file that holds a secret: the NHS login and linkage API
private keys, the simulator's signing keys, and a laptop's own secret key and linkage
encryption key (citizen_portal/settings/local.py).

Settings import this module before Django is set up, so it imports nothing but the standard
library (nothing of Django, no models).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def secret_file_write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` so that no one but its owner can ever read it.

    The content goes first into a new file beside ``path``, created exclusively (O_EXCL) with
    mode 0600 by ``tempfile.mkstemp``, which then takes the place of ``path`` in one step
    (``os.replace``). So there is no moment at which the secret sits in a file others may
    read (as when a file is written and then chmod-ed), a file already at ``path`` with a
    wider mode is replaced rather than written through, and a reader finds the old content or
    the whole new one, never half of it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    try:
        with os.fdopen(descriptor, "wb") as staged_file:
            staged_file.write(content)
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        raise
