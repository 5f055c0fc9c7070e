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


_LAYOUT_PROBE = """<script>
window.addEventListener('load', function () {
  var vw = document.documentElement.clientWidth, wide = [], broken = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) return;
    for (var p = el; p; p = p.parentElement) { if (p.classList && p.classList.contains('scroll')) return; }
    wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''));
  });
  document.querySelectorAll('img').forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) broken.push(img.alt);
  });
  var links = [];
  document.querySelectorAll('a[href^="#"]').forEach(function (a) {
    var id = decodeURIComponent(a.getAttribute('href').slice(1));
    if (id && !document.getElementById(id)) links.push(id);
  });
  var bar = document.querySelector('nav.bar');
  var sticky = bar ? getComputedStyle(bar).position : '';
  document.body.setAttribute('data-layout', JSON.stringify({wide: wide, broken: broken, links: links, sticky: sticky}));
});
</script>"""


def layout(html: Path, *, width: int = 1280) -> dict:
    """Load *html* at *width* CSS pixels in headless Chromium with a probe script (on a copy; the report has none):
    elements wider than the viewport outside a ``.scroll`` box, images that do not decode, in-page links to no
    element, and the contents bar's CSS position."""
    import json
    import re

    text = html.read_text(encoding="utf-8").replace("</body>", _LAYOUT_PROBE + "</body>")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(text, encoding="utf-8")
        profile = Path(tmp) / "profile"
        proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1000",
                               "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                              capture_output=True, text=True, timeout=180)
    m = re.search(r'data-layout="([^"]*)"', proc.stdout)
    if m is None:
        raise AssertionError(f"the layout probe did not run (exit {proc.returncode}): {proc.stderr[-2000:]}")
    import html as html_lib

    return json.loads(html_lib.unescape(m.group(1)))
