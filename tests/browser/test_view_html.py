"""The exported view in headless Chromium from file://: nothing leaves the machine, no page
errors, clicking an engine layer lights its ONNX nodes, hovering shows the layer's details.

Screenshots go to ``tests/_output/view_html_*.png``. Run alone with ``pytest -m browser tests/browser/test_view_html.py``.
"""

from __future__ import annotations

import pytest

import trtlab
from trtlab.view import save_html
from labserver import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NODE_AT = """([panel, id]) => {
    const root = document.querySelector('.trtlab-view');
    const cy = root.__trtlab.cys[panel];
    const n = cy.getElementById(id);
    cy.zoom(1); cy.center(n);
    const p = n.renderedPosition(), r = cy.container().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
}"""


@pytest.fixture(scope="module")
def report(resnet18_fp16_report):
    return resnet18_fp16_report


def test_exported_report_works_offline_from_file(chromium, report, tmp_path, output_dir):
    from playwright.sync_api import sync_playwright

    path = save_html(report, tmp_path / "resnet18_fp16.html")
    layer = report.layer("Conv_5 + Add_6 + Relu_7")
    requests, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(path.as_uri())
            page.wait_for_selector(".trtlab-view[data-ready='1']", state="attached", timeout=30_000)
            assert page.locator(".tv-panel").count() == 2
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            page.screenshot(path=str(output_dir / "view_html_report.png"))

            # click the engine layer Conv_5 + Add_6 + Relu_7 in the right panel
            x, y = page.evaluate(NODE_AT, [1, f"engine:L{layer.index}"])
            page.mouse.click(x, y)
            model = "window.trtlabModel"
            assert page.evaluate(f"{model}.get('selected_layer')") == layer.name
            assert page.evaluate(f"{model}.get('highlighted_nodes')") == sorted(layer.onnx_nodes)
            lit = page.evaluate("document.querySelector('.trtlab-view').__trtlab.cys[0].nodes('.lit').map(n => n.id())")
            assert sorted(lit) == sorted(f"onnx:{n}" for n in layer.onnx_nodes)
            page.screenshot(path=str(output_dir / "view_html_click.png"))

            # hover another layer: the tooltip shows its tactic and time
            other = report.layer("Conv_3 + Relu_4")
            x, y = page.evaluate(NODE_AT, [1, f"engine:L{other.index}"])
            page.mouse.move(x, y)
            tip = page.locator(".tv-tip")
            tip.wait_for(state="visible", timeout=5_000)
            text = tip.inner_text()
            assert other.tactic in text and "ms" in text and "FP16" in text
            page.screenshot(path=str(output_dir / "view_html_hover.png"))

            # hover an edge of the engine: the tensor's name, shape, type and format
            mid = page.evaluate("""() => {
                const cy = document.querySelector('.trtlab-view').__trtlab.cys[1];
                const e = cy.edges().filter(e => e.source().id() === 'engine:L%d')[0];
                cy.zoom(1.5); cy.center(e);
                const p = e.renderedMidpoint(), r = cy.container().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y, e.data('label')];
            }""" % other.index)
            page.mouse.move(mid[0], mid[1])
            page.wait_for_timeout(200)
            assert tip.is_visible() and mid[2] and mid[2].split(" ")[0] in tip.inner_text()
            assert "FP16" in tip.inner_text() and "[32, 64, 56, 56]" in tip.inner_text()
            page.screenshot(path=str(output_dir / "view_html_edge.png"))

            # clicking an ONNX node lights its engine layer in the other panel
            x, y = page.evaluate(NODE_AT, [0, "onnx:Relu_1"])
            page.mouse.click(x, y)
            assert page.evaluate(f"{model}.get('selected_layer')") == "Conv_0 + Relu_1"

            # collapse boxes: each fused layer's ONNX nodes become one node, and come back
            count = "() => document.querySelector('.trtlab-view').__trtlab.cys[0].nodes().length"
            fused = [r for r in report.layers if len(r.onnx_nodes) > 1]
            absorbed = sum(len(r.onnx_nodes) for r in fused)
            n_onnx = len(report.onnx_graph.nx)
            assert page.evaluate(count) == n_onnx + len(fused)  # nodes and their boxes
            page.get_by_role("button", name="collapse boxes").click()
            assert page.evaluate(count) == n_onnx - absorbed + len(fused)
            page.screenshot(path=str(output_dir / "view_html_collapsed.png"))
            page.get_by_role("button", name="collapse boxes").click()
            assert page.evaluate(count) == n_onnx + len(fused)

            # the wheel scrolls the drawing, and leaves the page to scroll once the drawing's end is in view
            wheel = """(dy) => {
                const cy = document.querySelector('.trtlab-view').__trtlab.cys[0];
                cy.fit(); cy.zoom(1); cy.pan({x: 0, y: 15 - cy.elements().boundingBox().y1});  // the top in view
                const ev = new WheelEvent('wheel', {deltaY: dy, bubbles: true, cancelable: true});
                const y0 = cy.pan().y;
                cy.container().dispatchEvent(ev);
                return [ev.defaultPrevented, cy.pan().y - y0];
            }"""
            assert page.evaluate(wheel, 80) == [True, -80]  # down: the drawing moves up
            assert page.evaluate(wheel, -80) == [False, 0]  # up at the top: the page scrolls

            # search by regex: every Add node of the ONNX graph is found
            page.fill("input[type=search]", "^Add_")
            page.press("input[type=search]", "Enter")
            adds = report.onnx_graph.find(op_type="Add")
            assert page.locator(".tv-status").inner_text() == f"{len(adds)} matches for /^Add_/"
        finally:
            browser.close()
    assert not errors, errors
    leaving = [u for u in requests if not u.startswith("file://")]
    assert not leaving, f"requests left the page: {leaving}"


def test_exported_stage_lesson_links_three_panels(chromium, fixtures, tmp_path, output_dir):
    from playwright.sync_api import sync_playwright

    graph = trtlab.load_onnx(trtlab.bundled_model("googlenet"))
    report = trtlab.map_fusion(graph, trtlab.load_profile(fixtures / "trt-profiles" / "googlenet-jetson-gpu.profile.json"))
    path = save_html(report, tmp_path / "googlenet_3a_stages.html", mode="stages", focus=r"^inception_3a/")
    h = next(r for r in report.by_kind("horizontal") if r.onnx_nodes[0].startswith("inception_3a/"))
    errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_selector(".trtlab-view[data-ready='1']", state="attached", timeout=30_000)
            assert page.locator(".tv-panel").count() == 3
            # click the 1x1 convolution: its branch lights up after vertical fusion, and the
            # horizontally fused layer (all three 1x1 branches) after horizontal fusion
            x, y = page.evaluate(NODE_AT, [0, "s0:inception_3a/1x1"])
            page.mouse.click(x, y)
            lit = page.evaluate("document.querySelector('.trtlab-view').__trtlab.cys.map(c => c.nodes('.lit').length)")
            assert lit[1] == 1 and lit[2] == 1, lit
            assert page.evaluate("window.trtlabModel.get('selected_layer')") == h.name
            assert sorted(page.evaluate("window.trtlabModel.get('highlighted_nodes')")) == sorted(h.onnx_nodes)
            page.screenshot(path=str(output_dir / "view_html_stages.png"))
        finally:
            browser.close()
    assert not errors, errors
