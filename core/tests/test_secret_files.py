"""core/secret_files.py: a file holding a secret is its owner's alone from the moment it
exists, and a reader never finds half a secret in it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from core.secret_files import secret_file_write


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The widest umask a shell may have: nothing is taken off the modes files ask for."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_secret_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret.pem"

    secret_file_write(path, b"the secret")

    assert path.read_bytes() == b"the secret"
    assert file_mode(path) == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_the_secret_reaches_its_path_already_private_and_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old way (write, then chmod) left the secret in a file of the umask's mode until the
    chmod: here the file that takes the path's place is 0600 and complete before it does."""
    path = tmp_path / "secret.pem"
    staged: list[tuple[int, bytes]] = []
    replace = os.replace

    def replace_observed(source: str, destination: Path) -> None:
        staged.append((stat.S_IMODE(os.stat(source).st_mode), Path(source).read_bytes()))
        assert not path.exists()
        replace(source, destination)

    monkeypatch.setattr(os, "replace", replace_observed)

    secret_file_write(path, b"the whole secret")

    assert staged == [(0o600, b"the whole secret")]


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_file_others_can_read_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "secret.pem"
    path.write_bytes(b"the old secret, and more of it")
    path.chmod(0o644)

    secret_file_write(path, b"the new secret")

    assert path.read_bytes() == b"the new secret"
    assert file_mode(path) == 0o600


def test_nothing_is_left_beside_the_secret(tmp_path: Path) -> None:
    secret_file_write(tmp_path / "secret.pem", b"one")
    secret_file_write(tmp_path / "secret.pem", b"two")

    assert [path.name for path in tmp_path.iterdir()] == ["secret.pem"]


def test_a_write_that_fails_leaves_the_old_secret_and_no_staged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.pem"
    secret_file_write(path, b"the old secret")

    def replace_refused(source: str, destination: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", replace_refused)

    with pytest.raises(OSError, match="disk full"):
        secret_file_write(path, b"the new secret")

    assert path.read_bytes() == b"the old secret"
    assert [entry.name for entry in tmp_path.iterdir()] == ["secret.pem"]


def test_importing_it_loads_nothing_of_django() -> None:
    """Settings import it before Django is set up (citizen_portal/settings/local.py)."""
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, core.secret_files; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'linkage',"
            " 'accounts', 'nhs_login_simulator', 'demo'}))",
        ],
        cwd=settings.BASE_DIR,
        env={"PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert completed.stdout.strip() == "[]"
