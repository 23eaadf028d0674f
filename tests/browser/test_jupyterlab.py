"""The real check: JupyterLab in headless Chromium runs the fusion notebook and shows the widget.

Starts ``jupyter lab`` on 127.0.0.1 (random token, free port, temporary root holding a copy of
``notebooks/02_fusion_before_after.ipynb``), opens it in the Debian ``chromium`` driven by
playwright, runs all cells from the Run menu, then asserts that the FusionExplorer widget
rendered (its CSS class is in the DOM, with its layer list and picture) and that no output is a
traceback. If the notebook shows no FusionExplorer itself, the copy gets one more cell
(``explorer_cell.py``: the explorer on the real ResNet-18 FP16 engine); the repository is never
modified. Then the interactive view of the ResNet-18 FP16 report (``report.view()``): it fits its
output area with no horizontal scrollbar at 1400 px, a click on an engine layer changes the
highlighted ONNX nodes that the kernel reads back (the notebook's own
``view.selected_layer, view.highlighted_nodes`` cell, run again), hovering shows the layer's
details. Screenshots: ``tests/_output/jupyterlab_fusion.png``, ``jupyterlab_view.png``,
``jupyterlab_view_click.png``.

Run it alone with ``pytest -m browser tests/browser``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from labserver import CHROMIUM_ARGS, JupyterLabServer, venv_bin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(os.environ.get("TRTLAB_BROWSER_NOTEBOOK", ROOT / "notebooks" / "02_fusion_before_after.ipynb"))
EXPLORER_CELL = Path(__file__).with_name("explorer_cell.py")
WIDGET = ".trtlab-fusion-explorer"
VIEW = ".trtlab-view"


def _prepare_notebook(root: Path) -> Path:
    """A copy of the fusion notebook in ``root``, with the explorer cell appended if it has none."""
    import nbformat

    if NOTEBOOK.exists():
        nb = nbformat.read(NOTEBOOK, as_version=4)
    else:  # before notebook 02 existed: the explorer cell alone
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    if not any("FusionExplorer" in c.source for c in nb.cells if c.cell_type == "code"):
        nb.cells.append(nbformat.v4.new_code_cell(EXPLORER_CELL.read_text().strip()))
    for cell in nb.cells:  # start clean, as committed notebooks are
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    root.mkdir(parents=True, exist_ok=True)
    dst = root / (NOTEBOOK.name if NOTEBOOK.exists() else "fusion_explorer.ipynb")
    nbformat.write(nb, dst)
    return dst


@pytest.fixture(scope="module")
def lab(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("lab") / "root"
    nb = _prepare_notebook(root)
    env = {"TRTLAB_FIXTURES": str(fixtures)}
    with JupyterLabServer(root, venv_bin(), env=env) as server:
        server.notebook = nb.name
        yield server


_CELL_STATE_JS = """
() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map(c => {
    const p = c.querySelector('.jp-InputPrompt');
    return p ? p.textContent.trim() : '';
})
"""


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _wait_all_executed(page, timeout_s: float) -> list[str]:
    """Wait until every code cell shows an execution count (``[3]:``), none ``[*]:``."""
    deadline = time.monotonic() + timeout_s
    prompts: list[str] = []
    while time.monotonic() < deadline:
        prompts = page.evaluate(_CELL_STATE_JS)
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return prompts
        page.wait_for_timeout(500)
    raise AssertionError(f"cells did not finish within {timeout_s:.0f} s; prompts: {prompts}")


def test_fusion_notebook_renders_widgets_in_jupyterlab(chromium, lab, output_dir):
    from playwright.sync_api import sync_playwright

    screenshot = output_dir / "jupyterlab_fusion.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(lab.url(f"lab/tree/{lab.notebook}?reset"), timeout=120_000)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
            # the kernel is up when the status bar says "Python 3 (ipykernel) | Idle"
            page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).first.wait_for(timeout=120_000)
            _run_all(page)
            prompts = _wait_all_executed(page, timeout_s=240)

            widget = page.locator(WIDGET).first
            widget.wait_for(state="visible", timeout=60_000)
            # wait for the pictures the widget draws (PNG image widgets) to be loaded
            page.wait_for_function(
                f"() => Array.from(document.querySelectorAll('{WIDGET} img')).some(i => i.complete && i.naturalWidth > 0)",
                timeout=60_000,
            )
            widget.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(screenshot), full_page=False)

            # what the widget shows: its layer list and at least one drawn picture
            assert page.locator(f"{WIDGET} select option").count() > 0, "the FusionExplorer layer list is empty"
            assert page.locator(f"{WIDGET} img").count() >= 1
            # the widget manager did not fail to render any widget view
            broken = page.locator(".jp-OutputArea-output", has_text=re.compile("Error displaying widget|Error rendering"))
            assert broken.count() == 0, broken.first.inner_text()

            # a real round trip browser -> kernel -> browser: choose another layer in the list
            before = widget.locator("img").first.get_attribute("src")
            layer_list = widget.locator("select").first
            assert "Conv_0 + Relu_1" in layer_list.locator("option").nth(1).inner_text().replace("\xa0", " ")
            layer_list.select_option(index=1)
            page.wait_for_function(
                f"() => document.querySelector('{WIDGET}').innerText.includes('Conv_0, Relu_1')", timeout=60_000)
            page.wait_for_function(
                f"(b) => document.querySelector('{WIDGET} img').getAttribute('src') !== b", arg=before, timeout=60_000)
            widget.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            page.screenshot(path=str(screenshot), full_page=False)

            if page.locator(VIEW).count():
                _check_view(page, output_dir)

            stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            texts = [stderr.nth(i).inner_text() for i in range(stderr.count())]
            tracebacks = [t for t in texts if re.search(r"Traceback|Error\b|Exception", t)]
            assert not tracebacks, "error outputs in the notebook:\n" + "\n---\n".join(tracebacks)
            assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000


# the interactive report view of the ResNet-18 FP16 engine, and where one of its nodes is on screen
_VIEW_JS = """() => Array.from(document.querySelectorAll('.trtlab-view'))
    .findIndex(v => v.querySelector('.tv-title').textContent.startsWith('resnet18:'))"""
_NODE_AT = """([i, panel, id]) => {
    const cy = document.querySelectorAll('.trtlab-view')[i].__trtlab.cys[panel];
    const n = cy.getElementById(id);
    cy.zoom(1); cy.center(n);
    const p = n.renderedPosition(), r = cy.container().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
}"""
_FITS_JS = """(i) => {
    const view = document.querySelectorAll('.trtlab-view')[i];
    const out = view.closest('.jp-OutputArea-output');
    const r = view.getBoundingClientRect(), o = out.getBoundingClientRect();
    return {view: r.width, output: o.width, scroll: out.scrollWidth, client: out.clientWidth,
            notebook: [document.querySelector('.jp-WindowedPanel-outer, .jp-Notebook').scrollWidth,
                       document.querySelector('.jp-WindowedPanel-outer, .jp-Notebook').clientWidth]};
}"""


def _check_view(page, output_dir) -> None:
    """The report view in the notebook: fits its output area, a click on an engine layer changes
    the ONNX nodes the kernel sees as highlighted, hovering shows the layer's details."""
    i = page.evaluate(_VIEW_JS)
    assert i >= 0, "no interactive view of the ResNet-18 report in the notebook"
    view = page.locator(VIEW).nth(i)
    view.scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelectorAll('{VIEW}')[{i}].dataset.ready === '1'", timeout=60_000)
    fits = page.evaluate(_FITS_JS, i)
    assert fits["view"] <= fits["output"] + 1 and fits["scroll"] <= fits["client"], fits
    assert fits["notebook"][0] <= fits["notebook"][1], fits
    page.screenshot(path=str(output_dir / "jupyterlab_view.png"))

    # click the engine layer Conv_8 + Relu_9 (the view starts with Conv_5 + Add_6 + Relu_7)
    node = page.evaluate(f"() => document.querySelectorAll('{VIEW}')[{i}].__trtlab.cys[1].nodes()"
                         ".filter(n => n.data('kind') === 'vertical' && n.data('label').endsWith('Conv_8 + Relu_9'))"
                         ".map(n => n.id())[0]")
    x, y = page.evaluate(_NODE_AT, [i, 1, node])
    under = page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y); return e ? e.outerHTML.slice(0, 120) : null; }", [x, y])
    page.mouse.click(x, y)
    try:
        page.wait_for_function(f"() => document.querySelectorAll('{VIEW}')[{i}].__trtlab.cys[0].nodes('.lit').length === 2",
                               timeout=10_000)
    except Exception:
        page.screenshot(path=str(output_dir / "jupyterlab_view_click_failed.png"))
        raise AssertionError(f"the click at {x:.0f},{y:.0f} on {node} lit nothing; element there: {under}")
    # read the selection back from the kernel: re-run the cell that prints it
    cell = page.locator(".jp-CodeCell", has_text="view.selected_layer, view.highlighted_nodes").first
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    out = cell.locator(".jp-OutputArea-output")
    page.wait_for_function(
        "(el) => el.innerText.includes('Conv_8 + Relu_9')", arg=out.first.element_handle(), timeout=30_000)
    assert "['Conv_8', 'Relu_9']" in out.first.inner_text()

    # hover another layer: its details appear
    view.scroll_into_view_if_needed()
    x, y = page.evaluate(_NODE_AT, [i, 1, node])
    page.mouse.move(x, y)
    tip = view.locator(".tv-tip")
    tip.wait_for(state="visible", timeout=5_000)
    assert "tactic" in tip.inner_text() and "Conv_8 + Relu_9" in tip.inner_text()
    page.screenshot(path=str(output_dir / "jupyterlab_view_click.png"))
