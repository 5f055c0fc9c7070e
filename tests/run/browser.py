"""Render an HTML file in headless Chromium (Debian's ``chromium``): screenshot and console messages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise AssertionError("headless Chromium is needed to render report.html: install Debian's `chromium` "
                             "package (.ci/run installs it when `command -v chromium` fails)")
    return exe


def render(html: Path, screenshot: Path, *, size: str = "1200,2000") -> list[str]:
    """Screenshot *html* into *screenshot*; return the page's console messages (errors, warnings, logs)."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={screenshot}",
                               f"--window-size={size}", html.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
    if not screenshot.is_file():
        raise AssertionError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def not_blank(png: Path) -> float:
    """Fraction of the screenshot's pixels that differ from its most common colour."""
    import numpy as np
    from matplotlib import image

    img = image.imread(png)[..., :3]
    flat = (img.reshape(-1, 3) * 255).astype("uint8")
    colors, counts = np.unique(flat, axis=0, return_counts=True)
    return 1.0 - counts.max() / counts.sum()
