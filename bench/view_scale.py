"""Interactive view at scale: trtlab's Cytoscape.js view against Netron, in one run.

Set-up (once): ``pip install -e ".[notebook,test,bench]"`` (netron, playwright) and the Debian
``chromium`` (``apt-get install -y chromium``). Usage:

    .venv/bin/python bench/view_scale.py [--sizes 500 2000 5000] [--layers 10000] [--netron-timeout 120]

For generated ONNX models of each size (the CNN-shaped graphs of ``bench/graph_scale.py``) and an
engine plan of ``--layers`` layers (the synthetic layer information of ``bench/parse_scale.py``):

- ``build data``: Python time of ``onnx_view_data`` / ``plan_view_data`` (layout included);
- ``HTML``: size of the self-contained page (library + data);
- ``first paint``: headless Chromium opens the page from file://; wall-clock time from the
  navigation to Cytoscape's first drawn frame of every panel;
- ``pan/zoom frame``: median and 95th percentile of the frame intervals while wheel events
  scroll (pan) and Ctrl+scroll (zoom) the drawing, one per animation frame (60 steps);
- with ``--renderer`` both Cytoscape.js renderers are timed (canvas, WebGL);
- ``Netron``: ``netron`` serving the same ONNX file on 127.0.0.1, wall-clock time from the
  navigation to its first painted graph (its SVG holding 90 % of the graph's nodes). Requests to anywhere but
  127.0.0.1 are blocked so the numbers do not depend on the network.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import onnx  # noqa: E402

from graph_scale import make_model  # noqa: E402
from parse_scale import make_layer_info  # noqa: E402
from trtlab import load_layer_info, load_onnx  # noqa: E402
from trtlab.view import onnx_view_data, plan_view_data  # noqa: E402
from trtlab.view.html import standalone_html  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

FRAMES_JS = """async () => {
  // one wheel event per animation frame on the drawing, as a user scrolls (pans) and
  // Ctrl+scrolls (zooms): the path the view's own wheel handler takes
  const holder = document.querySelector('.trtlab-view .tv-cy');
  const r = holder.getBoundingClientRect();
  const raf = () => new Promise(res => requestAnimationFrame(res));
  await raf();
  const times = [];
  let last = performance.now();
  for (let i = 0; i < 60; i++) {
    const zoom = i % 20 >= 10;
    holder.dispatchEvent(new WheelEvent('wheel', {deltaY: zoom ? (i % 2 ? -60 : 50) : 40, deltaX: zoom ? 0 : 10,
      ctrlKey: zoom, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));
    await raf();
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  await new Promise(res => setTimeout(res, 200));  // the redraw after the wheel stops
  return times;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _view_in_chromium(browser, html_path: Path) -> tuple[float, list[float]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        t0 = time.perf_counter()
        page.goto(html_path.as_uri(), timeout=120_000)
        try:
            page.wait_for_selector(".trtlab-view[data-ready='1']", state="attached", timeout=120_000)
        except Exception:
            raise RuntimeError(f"the view did not paint: {errors}") from None
        paint = (time.perf_counter() - t0) * 1000
        print("   in-page: render() to painted", page.evaluate("document.querySelector('.trtlab-view').dataset.firstPaintMs"), "ms", flush=True)
        frames = page.evaluate(FRAMES_JS)
        return paint, frames
    finally:
        page.close()


def _netron_first_paint(browser, onnx_path: Path, n_nodes: int, timeout_s: float) -> float | None:
    """Milliseconds from navigation to Netron's graph holding 90 % of the nodes (wall clock:
    Netron's page disables ``eval``, so nothing is evaluated in it)."""
    port = _free_port()
    code = ("import netron,sys; netron.serve(sys.argv[1], None, address=('127.0.0.1', int(sys.argv[2])), "
            "browse=False); netron.wait()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(onnx_path), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # a returning user: the usage-statistics consent is already given
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "consent", "value": str(int(time.time() * 1000)), "url": f"http://127.0.0.1:{port}/"}])
    page = context.new_page()
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        want = max(1, int(n_nodes * 0.9))
        t0 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
        page.wait_for_selector(f"#canvas g.node >> nth={want - 1}", state="attached", timeout=timeout_s * 1000)
        return (time.perf_counter() - t0) * 1000
    except Exception as exc:  # noqa: BLE001 - a timeout is a result here
        print(f"  netron: no graph within {timeout_s:.0f} s ({type(exc).__name__})", flush=True)
        return None
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)


def _frame_stats(frames: list[float]) -> str:
    ordered = sorted(frames)
    return f"{statistics.median(frames):.1f} / {ordered[int(0.95 * (len(ordered) - 1))]:.1f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--layers", type=int, default=10000)
    ap.add_argument("--netron-timeout", type=float, default=120.0)
    ap.add_argument("--renderer", nargs="+", default=["canvas"], choices=["canvas", "webgl"])
    ap.add_argument("--no-netron", action="store_true")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="view_scale_"))
    cases = []
    for n in args.sizes:
        path = tmp / f"cnn_{n}.onnx"
        onnx.save(make_model(n), path)
        g = load_onnx(path)
        t = time.perf_counter()
        data = onnx_view_data(g)
        cases.append((f"ONNX {len(g):,} nodes", len(g), data, time.perf_counter() - t, path))
    info, _ = make_layer_info(args.layers)
    plan = load_layer_info(info)
    t = time.perf_counter()
    data = plan_view_data(plan)
    cases.append((f"engine {len(plan):,} layers", len(plan), data, time.perf_counter() - t, None))

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for label, n, data, build_s, onnx_path in cases:
                for renderer in args.renderer:
                    html = tmp / f"{label.replace(' ', '_').replace(',', '')}_{renderer}.html"
                    html.write_text(standalone_html(data, renderer=renderer), encoding="utf-8")
                    paint, frames = _view_in_chromium(browser, html)
                    netron = None
                    if onnx_path is not None and not args.no_netron and renderer == args.renderer[0]:
                        netron = _netron_first_paint(browser, onnx_path, n, args.netron_timeout)
                    rows.append((label, renderer, build_s, html.stat().st_size, paint, _frame_stats(frames), netron))
                    print(f"  {label} [{renderer}]: build {build_s:.2f} s, paint {paint / 1000:.2f} s, "
                          f"frames {_frame_stats(frames)} ms, netron {netron}", flush=True)
        finally:
            browser.close()

    print(f"\n{_dt.date.today()} {platform.node()} ({os.cpu_count()} CPUs), headless Chromium, "
          f"python {platform.python_version()}")
    print("| graph | renderer | build data (Python) | HTML | first paint | pan/zoom frame median / p95 | Netron first paint |")
    print("|---|---|---|---|---|---|---|")
    for label, renderer, build_s, size, paint, frames, netron in rows:
        nt = "-" if netron is None and ("engine" in label or args.no_netron or renderer != args.renderer[0]) else (
            f"> {args.netron_timeout:.0f} s" if netron is None else f"{netron / 1000:.2f} s")
        print(f"| {label} | {renderer} | {build_s:.2f} s | {size / 1e6:.2f} MB | {paint / 1000:.2f} s | "
              f"{frames} ms | {nt} |")
    json.dump([list(r) for r in rows], open(tmp / "results.json", "w"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
