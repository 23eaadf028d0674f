"""save_html: one self-contained page (library and data inline, nothing fetched)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from trtlab.errors import ConfigError
from trtlab.view import onnx_view_data, report_view_data, save_html
from trtlab.view.html import bundle, library_version, standalone_html


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.state = None
        self._in_state = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_state = attrs.get("id") == "trtlab-view-state"

    def handle_data(self, data):
        if self._in_state:
            self.state = json.loads(data)
            self._in_state = False


def test_exported_report_is_self_contained(fp16_report, tmp_path):
    path = save_html(fp16_report, tmp_path / "resnet18_fp16.html")
    text = path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    scripts = [a for t, a in parser.tags if t == "script"]
    links = [a for t, a in parser.tags if t == "link"]
    assert scripts and not any("src" in a for a in scripts), "every script is inline"
    assert not links, "no style sheets or preloads from elsewhere"
    for tag, attrs in parser.tags:
        for value in attrs.values():
            assert not re.match(r"\s*(https?:)?//", value or ""), f"<{tag}> points at {value}"
    # the library and the view are inline; the data round-trips
    assert f'lf.version="{library_version()}"' in text
    assert "function render(" in text
    assert parser.state["data"] == json.loads(json.dumps(report_view_data(fp16_report)))


def test_names_cannot_close_the_script_element(resnet18):
    data = onnx_view_data(resnet18)
    data["title"] = "</script><script>alert(1)</script>"
    data["panels"][0]["nodes"][0]["name"] = "</SCRIPT>"
    page = standalone_html(data)
    assert page.lower().count("</script>") == 2  # the state element and the module, nothing else
    parser = _Tags()
    parser.feed(page)
    assert parser.state["data"]["panels"][0]["nodes"][0]["name"] == "</SCRIPT>"


def test_bundle_is_one_module_with_one_default_export():
    module = bundle()
    assert module.count("export default") == 1
    assert "import cytoscape" not in module


def test_save_html_wants_an_html_path(resnet18, tmp_path):
    with pytest.raises(ConfigError, match=r"\.html"):
        save_html(resnet18, tmp_path / "graph.png")
