"""The report in a real browser: headless Chromium, networking off, from disk.

Run with ``make test-browser`` (or ``pytest -m browser``). Chromium (Debian package
``chromium``) is installed with apt-get when it is missing and we may install it.
The page is loaded twice: once with a small probe script injected into a copy (it
records console errors, failed resources and the size of every figure and table,
and writes them into the DOM, read back with ``--dump-dom``), and once unmodified
for a full-page screenshot. Set ``PAINSCOPE_SCREENSHOT=path.png`` to keep the
screenshot (docs/images/report_screenshot.png is made that way).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from painscope.report import build_report
from painscope.report.html import SECTIONS
from tests.fixtures.report import random_ungrouped_run

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    # networking off: every host resolves to nothing and every proxy request fails
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--enable-logging=stderr",
    "--v=0",
)

PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener('error', function (e) {
  var t = e.target || {};
  window.__probe.errors.push(e.message || ('failed to load ' + (t.src || t.href || t.tagName)));
}, true);
['error', 'warn'].forEach(function (level) {
  var orig = console[level];
  console[level] = function () {
    window.__probe.errors.push(level + ': ' + Array.prototype.join.call(arguments, ' '));
    orig.apply(console, arguments);
  };
});
window.addEventListener('load', function () {
  function box(el) { var r = el.getBoundingClientRect(); return [r.width, r.height]; }
  var p = window.__probe;
  p.images = Array.prototype.map.call(document.images, function (im) {
    return {alt: im.alt, complete: im.complete, natural: im.naturalWidth, box: box(im)};
  });
  p.svgs = Array.prototype.map.call(document.querySelectorAll('svg'), box);
  p.tables = Array.prototype.map.call(document.querySelectorAll('table'), function (t) {
    return {id: t.id, rows: t.rows.length, box: box(t)};
  });
  p.sections = Array.prototype.map.call(document.querySelectorAll('section'), function (s) {
    return {id: s.id, box: box(s)};
  });
  var pre = document.createElement('pre');
  pre.id = '__probe';
  pre.textContent = JSON.stringify(p);
  document.body.appendChild(pre);
});
</script>"""


def _install_chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        pytest.fail("Chromium is missing: install the Debian package 'chromium' (apt-get).")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(
        [apt, "install", "-y", "-q", "chromium"], check=True, env=env, capture_output=True
    )
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("apt-get installed chromium but no 'chromium' executable is on PATH")
    return found


@pytest.fixture(scope="session")
def chromium() -> str:
    return _install_chromium()


def _run_chromium(
    chromium: str, profile: Path, url: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A report of a complete synthetic run, with one attention figure; (html, n_figures)."""
    run = random_ungrouped_run(tmp_path_factory.mktemp("browser_run"), seed=7)
    _attention_figure(run / "attention")
    report = build_report(run)
    n_png = sum(p.suffix == ".png" for p in report.figures) + 1  # + the attention figure
    return report.html_path, n_png


def _attention_figure(folder: Path) -> None:
    import torch

    from painscope.report.attention import explain_clip
    from tests.fixtures.report import tiny_swin

    model = tiny_swin()
    yy, xx = np.mgrid[:128, :128]
    fg = np.zeros((8, 128, 128, 3), dtype=np.uint8)
    for t in range(8):
        fg[t][(yy - 70) ** 2 + (xx - 40 - 3 * t) ** 2 < 14**2] = 230
    raw = np.clip(fg.astype(int) + np.array([60, 90, 60]), 0, 255).astype(np.uint8)
    clip = (torch.from_numpy(fg).float().div(255).permute(3, 0, 1, 2) - 0.45) / 0.225
    explain_clip(model, clip, raw, fg, (1, 0, 2), folder, name="sample_clip")


def test_report_renders_without_errors(
    chromium: str, report_page: tuple[Path, int], tmp_path: Path
) -> None:
    html_path, n_figures = report_page
    page = html_path.read_text()
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1))
    result = _run_chromium(
        chromium, tmp_path / "profile", probed.as_uri(), "--virtual-time-budget=10000", "--dump-dom"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r'<pre id="__probe">(.*?)</pre>', result.stdout, re.S)
    assert match is not None, "the page never finished loading:\n" + result.stderr[-2000:]
    import html as html_lib

    probe = json.loads(html_lib.unescape(match.group(1)))
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert probe["errors"] == [] and console == [], (probe["errors"], console)

    images = probe["images"]
    assert len(images) == n_figures
    for im in images:
        assert im["complete"] and im["natural"] > 0, im["alt"]
        assert im["box"][0] > 50 and im["box"][1] > 50, im["alt"]
    for svg_box in probe["svgs"]:
        assert svg_box[0] > 0 and svg_box[1] > 0
    tables = {t["id"]: t for t in probe["tables"]}
    for name in (
        "tab-table3_methods",
        "tab-table5_qwk_ours_mask",
        "tab-per_class_ours_mask_15class",
        "tab-table4_drugtest_ours_mask_3class",
    ):
        assert tables[name]["rows"] > 2 and tables[name]["box"][1] > 0
    assert [s["id"] for s in probe["sections"]] == [s.id for s in SECTIONS]
    assert all(s["box"][1] > 40 for s in probe["sections"])


def test_report_screenshot(chromium: str, report_page: tuple[Path, int], tmp_path: Path) -> None:
    """A full-page screenshot (a tall window, cropped to the page)."""
    html_path, _ = report_page
    shot = tmp_path / "report_screenshot.png"
    result = _run_chromium(
        chromium,
        tmp_path / "profile",
        html_path.as_uri(),
        f"--screenshot={shot}",
        "--window-size=1400,12000",
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    grey = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
    assert grey.shape == (12000, 1400)
    used = np.flatnonzero(grey.std(axis=1) > 0)  # rows with any content
    assert used.size and grey.std() > 10  # not a blank page
    page = Image.open(shot).convert("RGB").crop((0, 0, 1400, int(used[-1]) + 40))
    page.save(shot)
    keep = os.environ.get("PAINSCOPE_SCREENSHOT")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        small = page.resize((700, round(page.height / 2)), Image.Resampling.LANCZOS)
        small.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(keep, optimize=True)
