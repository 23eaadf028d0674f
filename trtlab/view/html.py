"""The view's front end as one ES module, and the self-contained HTML export.

``graphview.js`` imports the vendored Cytoscape.js build; :func:`bundle` joins the two into one
module (the library's ``export`` becomes a local binding) so that anywidget can load it from a
string and an HTML file can inline it. Nothing is fetched at run time.
"""

from __future__ import annotations

import html as _html
import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .._atomic import atomic_write
from ..errors import ConfigError

__all__ = ["bundle", "standalone_html", "save_html", "library_version", "css"]

_LIB = "cytoscape.esm.min.mjs"
_LIB_IMPORT = re.compile(r'^import cytoscape from "\./cytoscape\.esm\.min\.mjs";\s*$', re.M)
_LIB_EXPORT = re.compile(r"export\s*\{\s*([\w$]+)\s+as\s+default\s*\}\s*;?\s*$")
_MODULE_EXPORT = "export default widget;"


def _static(name: str) -> str:
    return resources.files("trtlab.view").joinpath("static", name).read_text(encoding="utf-8")


def library_version() -> str:
    """Version of the vendored Cytoscape.js."""
    return _static("cytoscape.VERSION").strip()


@lru_cache(maxsize=1)
def bundle() -> str:
    """Cytoscape.js and graphview.js as one ES module whose default export is ``{render}``."""
    lib = _static(_LIB)
    match = _LIB_EXPORT.search(lib)
    if match is None:
        raise ConfigError(f"the vendored {_LIB} does not end in 'export{{X as default}}'; "
                          f"refresh it with scripts/refresh_vendor.sh")
    # the library's top-level names stay inside a function scope, out of the view's way
    lib = f"const cytoscape = (() => {{\n{lib[: match.start()]}\nreturn {match.group(1)};\n}})();\n"
    view = _LIB_IMPORT.sub("", _static("graphview.js"))
    return lib + view


@lru_cache(maxsize=1)
def css() -> str:
    """The view's style sheet (graphview.css)."""
    return _static("graphview.css")


def _script_safe(text: str) -> str:
    """Text that cannot close the <script> element it is inlined in."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.I)


RENDERERS = ("auto", "canvas", "webgl")


def standalone_html(data: dict, *, title: str | None = None, height: int = 640, color_by: str | None = None,
                    renderer: str = "auto") -> str:
    """One HTML page holding the library, the view and ``data``; opens from file:// offline.

    ``renderer``: Cytoscape.js's ``"canvas"`` renderer, its ``"webgl"`` mode, or ``"auto"``."""
    if renderer not in RENDERERS:
        raise ConfigError(f"renderer={renderer!r} is not one of {', '.join(RENDERERS)}")
    state = {"data": data, "height": int(height), "color_by": color_by or data.get("color_by", ""),
             "selected": "", "selected_layer": "", "highlighted_nodes": [], "renderer": renderer}
    module = bundle().replace(_MODULE_EXPORT, "")
    state_json = json.dumps(state, separators=(",", ":")).replace("</", "<\\/")
    page_title = _html.escape(title or data.get("title") or "trtlab view")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{page_title}</title>
<style>body{{margin:12px;font-family:system-ui,sans-serif}}
{css()}</style>
</head><body>
<div id="trtlab-view"></div>
<script type="application/json" id="trtlab-view-state">{state_json}</script>
<script type="module">
{_script_safe(module)}
const state = JSON.parse(document.getElementById("trtlab-view-state").textContent);
const model = plainModel(state);
window.trtlabModel = model;
widget.render({{ model, el: document.getElementById("trtlab-view") }});
</script>
</body></html>
"""


def save_html(data: dict, path: str | os.PathLike, **kw) -> Path:
    """Write :func:`standalone_html` of ``data`` to ``path`` (atomically); returns the path."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"save_html path {str(path)!r} should end in .html; e.g. 'resnet18_fusion.html'")
    with atomic_write(path) as fh:
        fh.write(standalone_html(data, **kw).encode("utf-8"))
    return path
