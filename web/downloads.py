"""File downloads under any name: a Content-Disposition header a WSGI server can send (latin-1 only)."""

from __future__ import annotations

import re
from urllib.parse import quote


def content_disposition(name: str, kind: str = "attachment") -> str:
    """Return the header for a file name: an ASCII fallback plus the UTF-8 name per RFC 5987 (filename*)."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip() or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
