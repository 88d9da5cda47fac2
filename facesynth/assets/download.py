"""Downloading an asset archive: one file, a short timeout, written atomically, errors for people."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from facesynth.atomic import atomic_path
from facesynth.errors import UserError


def download(url: str, dest: Path, timeout_s: float, hint: str) -> Path:
    """Fetch `url` into `dest`. Offline or unreachable fails fast with a UserError ending in `hint`."""
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout_s) as response,
            atomic_path(dest) as tmp,
            open(tmp, "wb") as fh,
        ):
            shutil.copyfileobj(response, fh, length=1 << 20)
    except urllib.error.HTTPError as exc:
        raise UserError(f"cannot download {url}: HTTP {exc.code} {exc.reason}; {hint}") from None
    except urllib.error.URLError as exc:
        raise UserError(f"cannot download {url} ({exc.reason}); {hint}") from None
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise UserError(f"cannot download {url} ({type(exc).__name__}: {exc}); {hint}") from None
    return dest
