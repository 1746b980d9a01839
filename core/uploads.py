"""A cap on uploaded files that holds before anything is written to disk.

Django bounds a request's form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not its files: a
60 MB register upload was streamed to a temporary file, read into memory, parsed row by row and
answered with a 134 MB error page. This handler runs first among ``FILE_UPLOAD_HANDLERS`` and
passes on at most ``UPLOAD_MAX_BYTES + 1`` bytes of each file, dropping the rest as it arrives,
so a file over the cap costs no disk or memory beyond the cap, and the form that receives it sees
a size one byte over the cap and refuses it with a clear message (``upload_size_check``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


def upload_max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def upload_size_shown(size: int) -> str:
    """``20 MB`` for the cap as people say it (decimal megabytes, as file managers show)."""
    megabytes = size / 1_000_000
    return f"{megabytes:.0f} MB" if megabytes >= 1 else f"{size / 1000:.0f} KB"


def upload_size_check(upload: UploadedFile) -> None:
    """Refuse a file over the cap; the handler below has already dropped what was past it."""
    limit = upload_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            "The file is larger than %(limit)s, the largest the portal takes. Split it into "
            "smaller files, each with the same header row, and import them one at a time.",
            code="file_too_large",
            params={"limit": upload_size_shown(limit)},
        )


class UploadSizeLimitHandler(FileUploadHandler):
    """Passes the first ``UPLOAD_MAX_BYTES + 1`` bytes of each file to the handlers after it
    (which keep it in memory or a temporary file) and discards the rest unread by them."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        """``start`` is where this chunk begins in the file: this handler is first, so it sees
        every byte."""
        room = upload_max_bytes() + 1 - start
        return raw_data[:room] if room > 0 else None

    def file_complete(self, file_size: int) -> None:
        """The file itself is made by the handlers after this one."""
        return None
