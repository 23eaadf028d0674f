"""Names are drawn literally: ``$...$`` in a node, layer or tensor name is not matplotlib math."""

from __future__ import annotations

import numpy as np
from matplotlib.text import Text
from onnx import TensorProto, helper, numpy_helper

from trtlab.draw import literal, plots
from trtlab.draw.text import middle, path_tail, tail, wrap
from trtlab.engine import load_layer_info
from trtlab.fusion import map_fusion
from trtlab.graph import load_onnx

# "$\frac$" makes matplotlib's math parser raise; "$x$" would silently turn into an italic x
CONV, RELU, ADD = "conv$x$", "relu_$\\frac$", "add $1"


def _dollar_model():
    w = numpy_helper.from_array(np.ones((2, 2, 1, 1), np.float32), "w$")
    nodes = [
        helper.make_node("Conv", ["in$put", "w$"], ["t$1$"], name=CONV),
        helper.make_node("Relu", ["t$1$"], ["t$2$"], name=RELU),
        helper.make_node("Add", ["t$2$", "in$put"], ["out$"], name=ADD),
    ]
    graph = helper.make_graph(
        nodes, "model $\\alpha$", [helper.make_tensor_value_info("in$put", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("out$", TensorProto.FLOAT, [1, 2, 4, 4])], initializer=[w])
    return load_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))


def _drawn_strings(figure) -> list[str]:
    """Every text of the figure as matplotlib will render it (after its math preprocessing);
    raises if any of them would be parsed as math."""
    out = []
    for text in figure.findobj(Text):
        shown, is_math = text._preprocess_math(text.get_text())
        assert not is_math, text.get_text()
        out.append(shown)
    return out


def test_literal_text_round_trips_through_matplotlib():
    for name in (CONV, RELU, ADD, "$", "a\\$b", "plain"):
        shown, is_math = Text(text=literal(name))._preprocess_math(literal(name))
        assert (shown, is_math) == (name, False)


def test_graph_with_dollar_names_draws_them_literally(output_dir):
    graph = _dollar_model()
    d = graph.draw(show_shapes=True)
    d.to_png()  # renders every text: math parsing would raise here
    strings = "\n".join(_drawn_strings(d.figure))
    for name in (CONV, RELU, ADD, "model $\\alpha$"):
        assert name in strings
    d.save(output_dir / "dollar_names.png")
    d.close()


def test_fusion_pictures_with_dollar_names(output_dir):
    graph = _dollar_model()
    report = map_fusion(graph, load_layer_info({"Layers": [f"{CONV} + {RELU}", ADD], "Bindings": []}))
    assert report.layer_of(RELU).name == f"{CONV} + {RELU}"
    for mode in ("side-by-side", "overlay", "stages"):
        d = report.draw(mode=mode, highlight=RELU)
        d.to_png()
        assert RELU in "\n".join(_drawn_strings(d.figure))
        d.close()
    report.draw(overview="prefix").close()


def test_plots_with_dollar_names():
    d = plots.time_bars({f"{CONV} + {RELU}": 1.0, ADD: 0.5}, title="times of $x$")
    d.to_png()
    strings = _drawn_strings(d.figure)
    assert f"{CONV} + {RELU}" in strings and "times of $x$" in strings
    d = plots.compare_counts({"fp$16": {"$a$": 1}}, title="$\\frac$")
    d.to_png()
    assert "$\\frac$" in _drawn_strings(d.figure)


def test_shortened_names_keep_the_informative_end():
    name = "inception_3a/relu_3x3_reduce"
    assert tail(name, 24) == "\u2026" + name[-23:] and tail("short", 24) == "short"
    # whole path parts are kept, never half a part
    assert path_tail("model/encoder/layer.0/attention/MatMul", 26) == "\u2026layer.0/attention/MatMul"
    fused = "Conv_0 + Relu_1 + Conv_2 + Relu_3 + Conv_4 + Add_5 + Relu_6"
    cut = middle(fused, 40)
    assert len(cut) == 40 and cut.startswith("Conv_0 + Relu_1") and cut.endswith("Add_5 + Relu_6")


def test_wrap_keeps_every_word_and_ellipsizes_beyond_max_lines():
    text = "sm80_xmma_fprop_implicit_gemm_f16f16_f16f32_f32_nhwckrsc_nhwc_tilesize128x128x32 stage3"
    assert wrap(text, 30).replace("\n", "").replace(" ", "") == text.replace(" ", "")
    assert all(len(line) <= 30 for line in wrap(text, 30).split("\n"))
    short = wrap(text, 30, max_lines=2)
    assert short.count("\n") == 1 and short.endswith("\u2026")
