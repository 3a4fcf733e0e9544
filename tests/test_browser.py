"""The HTML briefing as a real browser draws it: Debian's chromium, headless, on the
case of 8 combinations, which carries a handling marking. What is checked is what
the browser makes of the file: the text after layout, the pixels of a screenshot,
and the pages of a print to PDF (the marking at the top and bottom of every page, a
scenario's block on one page)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from scenarios.api import run_files
from scenarios.render import html

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
PDFTOTEXT = shutil.which("pdftotext")
DATA = Path(__file__).parent / "data"
MARKING = "UNCLASSIFIED//FOR TRAINING"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: install Debian's chromium package (apt-get install chromium)")


@pytest.fixture(scope="module")
def briefing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("briefing")
    result = run_files(str(DATA / "black-sea-2023-07.yaml"), [str(DATA / "black-sea.yaml")])
    page = folder / "briefing.html"
    page.write_text(html.render([result]), encoding="utf-8")
    return page


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless chromium on a local file, offline and with a profile of its own."""
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={page.parent / 'profile'}",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(argv, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


def test_the_browser_lays_out_the_marking_the_bottom_line_and_the_annex(briefing):
    dom = chromium(briefing, "--dump-dom").stdout.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom.split("<body>", 1)[1]))
    assert text.strip().startswith(MARKING) and text.strip().endswith(MARKING)
    assert "Bottom line Holds only if vessels-treated-as-military-warning happened: Russia blockades shipping" in text
    assert "Facts date fact grade source text 2023-07-17 grain-deal-termination B1 Russian Ministry of Foreign Affairs" in text
    assert "Generated " in text and " UTC by scenarios " in text


def png_pixels(data: bytes) -> tuple:
    """(width, height, rows of grey levels) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and kind in (2, 6)
    channels = 3 if kind == 2 else 4
    raw = b"".join(data[i + 8 : i + 8 + n] for i, n in _chunks(data, b"IDAT"))
    flat = zlib.decompress(raw)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        line = flat[y * (stride + 1) : (y + 1) * (stride + 1)]
        row = _unfilter(line[0], bytearray(line[1:]), previous, channels)
        rows.append([sum(row[x * channels : x * channels + 3]) // 3 for x in range(width)])
        previous = row
    return width, height, rows


def _chunks(data: bytes, name: bytes):
    i = 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        if data[i + 4 : i + 8] == name:
            yield i, n
        i += n + 12


def _unfilter(kind: int, row: bytearray, above: bytearray, bpp: int) -> bytearray:
    for x in range(len(row)):
        left = row[x - bpp] if x >= bpp else 0
        up = above[x]
        corner = above[x - bpp] if x >= bpp else 0
        if kind == 1:
            row[x] = (row[x] + left) & 255
        elif kind == 2:
            row[x] = (row[x] + up) & 255
        elif kind == 3:
            row[x] = (row[x] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    return row


def test_the_screen_shows_the_marking_centred_above_the_briefing(briefing):
    shot = briefing.parent / "screen.png"
    chromium(briefing, "--window-size=1000,800", "--hide-scrollbars", f"--screenshot={shot}")
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 800)
    inked = [y for y, row in enumerate(rows) if min(row) < 100]
    assert inked and inked[0] < 80  # the marking is the first thing on the page
    band = [x for y in range(inked[0], inked[0] + 12) for x, grey in enumerate(rows[y]) if grey < 100]
    middle = (min(band) + max(band)) / 2
    assert abs(middle - width / 2) < 40  # centred
    assert len(inked) > 200  # and the briefing below it is drawn, not a blank page


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs pdftotext to read the printed pages (Debian: apt-get install poppler-utils)")
def test_every_printed_page_has_the_marking_at_its_top_and_bottom_and_keeps_a_scenario_whole(briefing):
    pdf = briefing.parent / "briefing.pdf"
    chromium(briefing, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 3
    texts = []
    for n in range(1, pages + 1):
        out = subprocess.run([PDFTOTEXT, "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], capture_output=True, timeout=60, check=True)
        lines = [line.strip() for line in out.stdout.decode().splitlines() if line.strip()]
        assert lines[0] == MARKING and lines[-1] == MARKING, (n, lines[:2], lines[-2:])
        texts.append(" ".join(lines))
    for title in ("Russia blockades shipping to Ukrainian ports", "Ukrainian grain exports by sea collapse"):
        heading = next(i for i, t in enumerate(texts) if f"CONTESTED: {title}" in t)
        rest = texts[heading].split(f"CONTESTED: {title}", 1)[1]
        assert "Weakest link:" in rest.split("CONTESTED:", 1)[0], title  # the block did not run on to the next page


def test_the_browser_draws_the_timeline_chart(tmp_path):
    from scenarios.api import timeline_file
    from scenarios.render.timeline import render_html

    result, _ = timeline_file(str(Path(__file__).parent.parent / "src" / "scenarios" / "bundled" / "cases" / "idlib-m4-2020.yaml"))
    page = tmp_path / "timeline.html"
    page.write_text(render_html(result), encoding="utf-8")
    dom = chromium(page, "--dump-dom").stdout.decode()
    assert dom.count("<rect") == len(result.items) * len(result.steps)  # a cell an item and step
    shot = tmp_path / "timeline.png"
    chromium(page, f"--screenshot={shot}", "--window-size=1200,1400")
    width, height, rows = png_pixels(shot.read_bytes())
    # the chart's red (triggered, #c62828) and amber (contested, #f9a825) cells are
    # drawn: thousands of pixels of each, where text would give a few
    levels = [grey for row in rows for grey in row]
    assert sum(1 for g in levels if 91 <= g <= 94) > 2000
    assert sum(1 for g in levels if 149 <= g <= 152) > 1000
