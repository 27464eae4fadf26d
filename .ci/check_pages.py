"""Render pages of the built documentation in headless Chromium and check what a reader sees.

For each page: a screenshot of the requested window size is taken (its PNG size is asserted), and
the DOM after rendering must carry the expected title and text. Usage::

    python .ci/check_pages.py BUILD_DIR
"""

import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

WIDTH, HEIGHT = 1280, 900

#: (page, words the title must contain, a text the rendered page must show)
PAGES = [
    ("index.html", "topotheory", "effective number of neighbours"),
    ("_generated/api/topotheory.effective_neighbors.html", "effective_neighbors", "Parameters"),
]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_pages: no Chromium found (apt-get install chromium)")


def run(browser, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout


def png_size(path):
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def main(build):
    build = pathlib.Path(build).resolve()
    browser = chromium()
    shots = pathlib.Path(tempfile.mkdtemp(prefix="pages-"))
    for page, title_word, text in PAGES:
        url = (build / page).as_uri()
        if not (build / page).is_file():
            raise AssertionError(f"{page} was not built")
        shot = shots / (page.replace("/", "_") + ".png")
        run(browser, f"--screenshot={shot}", url)
        size = png_size(shot)
        assert size == (WIDTH, HEIGHT), f"{page}: screenshot {size}, expected {(WIDTH, HEIGHT)}"
        assert shot.stat().st_size > 20_000, f"{page}: the screenshot is nearly empty"
        dom = run(browser, "--dump-dom", url)
        start, end = dom.find("<title>"), dom.find("</title>")
        title = dom[start + 7:end] if 0 <= start < end else ""
        assert title_word in title, f"{page}: title {title!r} lacks {title_word!r}"
        assert text in dom, f"{page}: the rendered page lacks {text!r}"
        print(f"check_pages: {page}: title {title!r}, screenshot {size[0]}x{size[1]}, {shot.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")
