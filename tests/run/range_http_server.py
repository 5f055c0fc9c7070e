"""Serve a directory over HTTP on 127.0.0.1 with range requests (as object stores do); print the port.

Usage: python range_http_server.py DIRECTORY. Used by tests/run/test_run_remote_inputs.py.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
from pathlib import Path


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP range requests (GDAL's /vsicurl/ and fsspec read COGs and NetCDF by ranges)."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404, "not found")
            return None
        size = path.stat().st_size
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        f = open(path, "rb")
        if match and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
            else:  # the last N bytes
                start, end = max(0, size - int(match.group(2))), size - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            f.seek(start)
            self._remaining = end - start + 1
        else:
            self.send_response(200)
            self._remaining = size
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self._remaining))
        self.end_headers()
        return f

    def copyfile(self, source, outputfile) -> None:
        remaining = self._remaining
        while remaining > 0:
            block = source.read(min(remaining, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            remaining -= len(block)


if __name__ == "__main__":
    handler = functools.partial(RangeRequestHandler, directory=sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
