#!/usr/bin/env python3
"""Generate trtlab's bundled ONNX models (the ``*.onnx`` package data in ``trtlab/data/``).

    python data/generate.py                      # rewrite every bundled model in trtlab/data/
    python data/generate.py --out /tmp/models    # somewhere else
    python data/generate.py googlenet --width 1  # one model, at full channel width
    python data/generate.py --verify             # also run each model in onnxruntime and parse
                                                 # + build it with TensorRT for RTX (if installed)

The models (see data/README.md):

* ``googlenet.onnx`` -- BVLC GoogLeNet translated layer by layer from the Caffe deploy
  definition in the shared fixtures (``caffe/googlenet.prototxt``). Every ONNX node is named
  after its Caffe layer, so real TensorRT output for GoogLeNet names exactly these nodes.
* ``resnet18.onnx`` -- torchvision ResNet-18 as the legacy PyTorch exporter wrote it
  (BatchNorm folded into Conv, ``Conv_0``, ``Relu_1``, ..., ``Gemm_48``; input ``input.1``,
  output ``191``; tensor names as in the real engine files of ``trt-layerinfo/resnet18-*``),
  with a symbolic batch dimension ``batch``.
* ``inception_block.onnx`` -- one GoogLeNet inception block (inception_3a's shapes) with
  readable names: the classic "before fusion" picture.
* ``transformer_block.onnx`` -- a small pre-norm transformer encoder block (opset 20: uses
  LayerNormalization and Gelu).

GoogLeNet and ResNet-18 keep their topology, every layer name and every kernel/stride/pad,
but their channel widths are scaled by ``--width`` (default 1/4) so each file stays under a
few MB. Weights are random from a fixed seed, so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from a checkout: make `trtlab` importable
    sys.path.insert(0, str(HERE.parent))

from trtlab.data import shared_fixtures  # noqa: E402
from trtlab.errors import ConfigError, TrtlabError  # noqa: E402

DEFAULT_WIDTH = 0.25
DEFAULT_SEED = 0
PRODUCER = "trtlab data/generate.py"
CNN_OPSET = 17  # LRN, MaxPool ceil_mode, Dropout(ratio input), Gemm, Softmax(axis): all stable here
CNN_IR_VERSION = 8  # the IR version that goes with opset 17 (readable by older tools)
TRANSFORMER_OPSET = 20  # first opset with Gelu (LayerNormalization is 17)
TRANSFORMER_IR_VERSION = 9


# --------------------------------------------------------------------------------------------
# Caffe prototxt (protobuf text format) reader
# --------------------------------------------------------------------------------------------
# Written by hand because no installable library can read it: protobuf's text_format needs
# the compiled caffe.proto message classes (caffe_pb2), and Caffe itself is not installable
# from PyPI. The text format is small: `name: value`, `name { ... }`, `# comments`.

Message = dict  # field name -> list of values (str | int | float | Message), in file order

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<punct>[{}<>:\[\],;])
      | (?P<word>[A-Za-z0-9_.+\-]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            line = text.count("\n", 0, pos) + 1
            raise ConfigError(f"prototxt: unexpected character {text[pos]!r} on line {line}")
        pos = m.end()
        if m.group("comment") is None:
            out.append(m.group(m.lastgroup))
    return out


def _scalar(tok: str):
    if tok[0] in "\"'":
        return bytes(tok[1:-1], "utf-8").decode("unicode_escape")
    for conv in (int, float):
        try:
            return conv(tok)
        except ValueError:
            pass
    return tok  # an enum value such as MAX or AVE, or true/false


def parse_prototxt(text: str) -> Message:
    """Parse protobuf text format into nested dicts of lists (every field may repeat)."""
    toks = _tokens(text)
    pos = 0

    def message(end: str | None) -> Message:
        nonlocal pos
        msg: Message = {}
        while pos < len(toks):
            tok = toks[pos]
            if end is not None and tok == end:
                pos += 1
                return msg
            if tok in (",", ";"):
                pos += 1
                continue
            name = tok
            pos += 1
            if pos < len(toks) and toks[pos] == ":":
                pos += 1
            if pos >= len(toks):
                raise ConfigError(f"prototxt: field {name!r} has no value at the end of the file")
            tok = toks[pos]
            if tok in ("{", "<"):
                pos += 1
                values = [message("}" if tok == "{" else ">")]
            elif tok == "[":
                pos += 1
                values = []
                while toks[pos] != "]":
                    if toks[pos] != ",":
                        values.append(_scalar(toks[pos]))
                    pos += 1
                pos += 1
            else:
                values = [_scalar(tok)]
                pos += 1
            msg.setdefault(name, []).extend(values)
        if end is not None:
            raise ConfigError(f"prototxt: missing {end!r} at the end of the file")
        return msg

    return message(None)


def _get(msg: Message, key: str, default=None):
    values = msg.get(key)
    return values[0] if values else default


def _pair(msg: Message, key: str, default: int) -> tuple[int, int]:
    """Caffe's (h, w) for kernel_size/stride/pad: `key` (1 or 2 values) or `key_h`/`key_w`."""
    if f"{key}_h" in msg or f"{key}_w" in msg:
        return int(_get(msg, f"{key}_h", default)), int(_get(msg, f"{key}_w", default))
    values = msg.get(key) or [default]
    return (int(values[0]), int(values[-1]))


# --------------------------------------------------------------------------------------------
# A small ONNX graph builder
# --------------------------------------------------------------------------------------------


@dataclass
class GraphBuilder:
    """Collects nodes and initializers; every tensor name must be new (ONNX is SSA)."""

    rng: np.random.Generator
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    names: set = field(default_factory=set)

    def tensor(self, name: str) -> str:
        if name in self.names:
            raise ConfigError(f"tensor name {name!r} is used twice")
        self.names.add(name)
        return name

    def unused(self, base: str) -> str:
        """``base``, or ``base:1``, ``base:2``, ... if taken (not yet registered)."""
        name, k = base, 0
        while name in self.names:
            k += 1
            name = f"{base}:{k}"
        return name

    def const(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), self.tensor(name)))
        return name

    def node(self, op: str, name: str, inputs: list[str], outputs: list[str], **attrs) -> str:
        for o in outputs:
            if o:
                self.tensor(o)
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]

    def model(self, graph_name, inputs, outputs, doc, opset, ir_version) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", opset)],
            producer_name=PRODUCER,
            producer_version="1",
            doc_string=doc,
        )
        model.ir_version = ir_version
        # full_check also runs strict shape inference. Inferred shapes are not stored in the file
        # (readers infer them, trtlab on load): that keeps the bytes independent of the onnx
        # version's shape inference, so regenerating reproduces them on any machine.
        onnx.checker.check_model(model, full_check=True)
        return model


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)


def scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


# --------------------------------------------------------------------------------------------
# GoogLeNet from the Caffe prototxt
# --------------------------------------------------------------------------------------------


def _fill(rng: np.random.Generator, filler: Message | None, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """Caffe's fillers (include/caffe/filler.hpp); Caffe's default filler is constant 0."""
    filler = filler or {}
    kind = _get(filler, "type", "constant")
    if kind == "constant":
        return np.full(shape, float(_get(filler, "value", 0.0)), np.float32)
    if kind == "xavier":  # uniform(-a, a), a = sqrt(3 / fan_in) (variance_norm FAN_IN, the default)
        a = math.sqrt(3.0 / fan_in)
        return rng.uniform(-a, a, shape).astype(np.float32)
    if kind == "msra":
        return he_normal(rng, shape, fan_in)
    if kind == "gaussian":
        return (rng.standard_normal(shape) * float(_get(filler, "std", 1.0))).astype(np.float32)
    if kind == "uniform":
        return rng.uniform(float(_get(filler, "min", 0.0)), float(_get(filler, "max", 1.0)), shape).astype(np.float32)
    raise ConfigError(f"Caffe filler type {kind!r} is not one of constant, xavier, msra, gaussian, uniform")


def _caffe_pool_out(size: int, kernel: int, stride: int, pad: int) -> int:
    """Caffe's pooling output size (ceil mode, and a window may not start in the padding)."""
    out = int(math.ceil((size + 2 * pad - kernel) / stride)) + 1
    if pad and (out - 1) * stride >= size + pad:
        out -= 1
    return out


CAFFE_TYPES = ("Input", "Convolution", "ReLU", "Pooling", "LRN", "Concat", "Dropout", "InnerProduct", "Softmax")


def caffe_to_onnx(net: Message, *, width: float, rng: np.random.Generator, name: str, doc: str) -> onnx.ModelProto:
    """Translate a Caffe deploy net into ONNX, one node per layer, node name = layer name.

    Caffe blobs may be rewritten in place (ReLU and Dropout have top == bottom); ONNX tensors
    may be written once, so an in-place layer's output tensor is named after the layer.
    ``width`` scales every Convolution's ``num_output`` (InnerProduct outputs, the classes,
    are kept). Shapes are tracked with Caffe's own size formulas and checked against ONNX
    shape inference at the end.
    """
    g = GraphBuilder(rng)
    blob: dict[str, str] = {}  # Caffe blob name -> current ONNX tensor name
    shape: dict[str, tuple[int, ...]] = {}  # ONNX tensor -> shape by Caffe's formulas
    inputs: list = []
    layers = net.get("layer") or net.get("layers") or []
    if not layers:
        raise ConfigError("the prototxt has no `layer { ... }` entries")

    # old-style net inputs: `input: "data"` + `input_shape { dim: ... }` / `input_dim: ...`
    for i, top in enumerate(net.get("input", [])):
        if "input_shape" in net:
            dims = tuple(int(d) for d in net["input_shape"][i]["dim"])
        else:
            dims = tuple(int(d) for d in net["input_dim"][4 * i : 4 * i + 4])
        blob[top] = g.tensor(top)
        shape[top] = dims
        inputs.append(helper.make_tensor_value_info(top, TensorProto.FLOAT, list(dims)))

    for layer in layers:
        lname, ltype = _get(layer, "name"), _get(layer, "type")
        bottoms = [blob[b] for b in layer.get("bottom", [])]
        tops = layer.get("top", [])
        if ltype not in CAFFE_TYPES:
            raise ConfigError(
                f"Caffe layer {lname!r} has type {ltype!r}, which this translator does not handle; "
                f"supported types: {', '.join(CAFFE_TYPES)}"
            )

        def out_name() -> str:
            # in place (top == an existing blob): a new tensor named after the layer
            return g.unused(lname if tops[0] in blob else tops[0])

        if ltype == "Input":
            for i, top in enumerate(tops):
                dims = tuple(int(d) for d in layer["input_param"][0]["shape"][i]["dim"])
                blob[top] = g.tensor(top)
                shape[top] = dims
                inputs.append(helper.make_tensor_value_info(top, TensorProto.FLOAT, list(dims)))
            continue

        if len(tops) != 1 or not bottoms:
            raise ConfigError(f"Caffe layer {lname!r} ({ltype}) has {len(bottoms)} bottoms and {len(tops)} tops; "
                              f"this translator handles layers with bottoms and exactly one top")
        x = bottoms[0]
        xs = shape[x]
        out = out_name()

        if ltype == "Convolution":
            p = layer["convolution_param"][0]
            cout = scaled(int(_get(p, "num_output")), width)
            group = int(_get(p, "group", 1))
            kh, kw = _pair(p, "kernel_size", 1)
            sh, sw = _pair(p, "stride", 1)
            ph, pw = _pair(p, "pad", 0)
            dh, dw = _pair(p, "dilation", 1)
            cin = xs[1]
            fan_in = cin // group * kh * kw
            w = g.const(f"{lname}/weight", _fill(rng, _get(p, "weight_filler"), (cout, cin // group, kh, kw), fan_in))
            ins = [x, w]
            if _get(p, "bias_term", "true") not in (False, "false", 0):
                ins.append(g.const(f"{lname}/bias", _fill(rng, _get(p, "bias_filler"), (cout,), fan_in)))
            g.node("Conv", lname, ins, [out], kernel_shape=[kh, kw], strides=[sh, sw],
                   pads=[ph, pw, ph, pw], dilations=[dh, dw], group=group)
            oh = (xs[2] + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
            ow = (xs[3] + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
            shape[out] = (xs[0], cout, oh, ow)
        elif ltype == "ReLU":
            slope = float(_get(layer.get("relu_param", [{}])[0], "negative_slope", 0.0))
            if slope:
                g.node("LeakyRelu", lname, [x], [out], alpha=slope)
            else:
                g.node("Relu", lname, [x], [out])
            shape[out] = xs
        elif ltype == "Pooling":
            p = layer["pooling_param"][0]
            kind = str(_get(p, "pool", "MAX"))
            if kind not in ("MAX", "AVE", "0", "1"):
                raise ConfigError(f"pooling layer {lname!r}: pool {kind!r} is not one of MAX, AVE")
            op = "MaxPool" if kind in ("MAX", "0") else "AveragePool"
            if _get(p, "global_pooling", "false") in (True, "true", 1):
                g.node("Global" + op, lname, [x], [out])
                shape[out] = (xs[0], xs[1], 1, 1)
            else:
                kh, kw = _pair(p, "kernel_size", 1)
                sh, sw = _pair(p, "stride", 1)
                ph, pw = _pair(p, "pad", 0)
                attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph, pw, ph, pw], ceil_mode=1)
                if op == "AveragePool" and (ph or pw):
                    attrs["count_include_pad"] = 1  # Caffe divides by the window size, padding included
                g.node(op, lname, [x], [out], **attrs)
                shape[out] = (xs[0], xs[1], _caffe_pool_out(xs[2], kh, sh, ph), _caffe_pool_out(xs[3], kw, sw, pw))
        elif ltype == "LRN":
            p = layer.get("lrn_param", [{}])[0]
            if str(_get(p, "norm_region", "ACROSS_CHANNELS")) != "ACROSS_CHANNELS":
                raise ConfigError(f"LRN layer {lname!r}: only norm_region ACROSS_CHANNELS maps to ONNX LRN")
            # Caffe and ONNX both scale alpha by 1/size: the parameters carry over unchanged.
            g.node("LRN", lname, [x], [out], size=int(_get(p, "local_size", 5)),
                   alpha=float(_get(p, "alpha", 1.0)), beta=float(_get(p, "beta", 0.75)), bias=float(_get(p, "k", 1.0)))
            shape[out] = xs
        elif ltype == "Concat":
            p = layer.get("concat_param", [{}])[0]
            axis = int(_get(p, "axis", _get(p, "concat_dim", 1)))
            g.node("Concat", lname, bottoms, [out], axis=axis)
            dims = list(xs)
            dims[axis] = sum(shape[b][axis] for b in bottoms)
            shape[out] = tuple(dims)
        elif ltype == "Dropout":
            # inference-mode Dropout (an identity); the ratio is kept for the record
            ratio = float(_get(layer.get("dropout_param", [{}])[0], "dropout_ratio", 0.5))
            r = g.const(f"{lname}/ratio", np.array(ratio, np.float32))
            g.node("Dropout", lname, [x, r], [out])
            shape[out] = xs
        elif ltype == "InnerProduct":
            p = layer["inner_product_param"][0]
            if _get(p, "transpose", "false") in (True, "true", 1) or int(_get(p, "axis", 1)) != 1:
                raise ConfigError(f"InnerProduct layer {lname!r}: only axis 1 without transpose is handled")
            n = int(_get(p, "num_output"))
            k = int(np.prod(xs[1:]))
            if len(xs) != 2:  # Gemm wants a matrix: an extra node, named as belonging to this layer
                x = g.node("Flatten", f"{lname}/flatten", [x], [g.unused(f"{lname}/flatten_out")], axis=1)
                shape[x] = (xs[0], k)
            w = g.const(f"{lname}/weight", _fill(rng, _get(p, "weight_filler"), (n, k), k))
            ins = [x, w]
            if _get(p, "bias_term", "true") not in (False, "false", 0):
                ins.append(g.const(f"{lname}/bias", _fill(rng, _get(p, "bias_filler"), (n,), k)))
            g.node("Gemm", lname, ins, [out], transB=1)
            shape[out] = (xs[0], n)
        elif ltype == "Softmax":
            axis = int(_get(layer.get("softmax_param", [{}])[0], "axis", 1))
            g.node("Softmax", lname, [x], [out], axis=axis)
            shape[out] = xs

        for top in tops:
            blob[top] = out

    # graph outputs: blobs that no layer reads
    read = {b for layer in layers for b in layer.get("bottom", [])}
    final = [t for t in dict.fromkeys(top for layer in layers for top in layer.get("top", [])) if t not in read]
    outputs = [helper.make_tensor_value_info(blob[t], TensorProto.FLOAT, list(shape[blob[t]])) for t in final]
    model = g.model(name, inputs, outputs, doc, CNN_OPSET, CNN_IR_VERSION)

    # Caffe's sizes (ceil-mode pooling) must be what ONNX computes for every tensor
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx_shapes = {vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim)
                   for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for t, dims in shape.items():
        if t in onnx_shapes and onnx_shapes[t] != tuple(dims):
            raise AssertionError(f"tensor {t!r}: Caffe computes {dims}, ONNX {onnx_shapes[t]}")
    return model


def googlenet(width: float, rng: np.random.Generator) -> onnx.ModelProto:
    src = shared_fixtures(required=True) / "caffe" / "googlenet.prototxt"
    net = parse_prototxt(src.read_text())
    doc = (
        f"BVLC GoogLeNet, translated layer by layer from the Caffe deploy definition "
        f"(googlenet.prototxt): one ONNX node per Caffe layer, node name = Caffe layer name "
        f"(plus 'loss3/classifier/flatten' before the Gemm). Convolution channel widths are "
        f"scaled by {width:g} of the original to keep the file small; topology, layer names and "
        f"kernel/stride/pad are the original's. Random weights (Caffe's fillers, fixed seed): "
        f"not a trained network. Generated by data/generate.py."
    )
    return caffe_to_onnx(net, width=width, rng=rng, name=str(_get(net, "name", "GoogleNet")), doc=doc)


# --------------------------------------------------------------------------------------------
# ResNet-18 with the legacy PyTorch exporter's names
# --------------------------------------------------------------------------------------------


def resnet18(width: float, rng: np.random.Generator) -> onnx.ModelProto:
    """torchvision ResNet-18 as ``torch.onnx.export`` (TorchScript exporter, torch 1.x) wrote it.

    Node names are ``{OpType}_{index}``; BatchNorm is folded into Conv. Tensor names follow
    the exporter: values the trace named keep their name (``input.1``, the block outputs
    ``input.8``, ``input.24``, ...), other values are ``onnx::{FirstConsumerOp}_{id}`` with
    the trace's running value id, and the Conv+BN folding created fresh ids 192, 193, ...
    (output, weight, bias for each conv in order). The numbers are reconstructed from the
    real engine files in ``trt-layerinfo/resnet18-*``, which show every tensor that survives
    TensorRT's fusions; the names of the fused-away tensors follow the same rules.
    """
    g = GraphBuilder(rng)
    index = 0
    value_id = 122  # the trace's running value id: the stem conv's output is 123
    input_no = 8  # the "input.N" suffix of the stem's MaxPool output
    folded_id = 192  # Conv+BN folding: ids of (output, weight, bias) per conv

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nonlocal index
        g.node(op, f"{op}_{index}", inputs, [output], **attrs)
        index += 1
        return output

    def traced(consumer: str) -> str:  # an un-named traced value: the next id
        nonlocal value_id
        value_id += 1
        return f"onnx::{consumer}_{value_id}"

    def conv(x: str, cin: int, cout: int, k: int, s: int, consumer: str) -> str:
        nonlocal folded_id
        out = f"onnx::{consumer}_{folded_id}"
        w = g.const(f"onnx::Conv_{folded_id + 1}", he_normal(rng, (cout, cin, k, k), cin * k * k))
        b = g.const(f"onnx::Conv_{folded_id + 2}", (rng.standard_normal(cout) * 0.1).astype(np.float32))
        folded_id += 3
        p = k // 2
        return node("Conv", [x, w, b], out, kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p],
                    dilations=[1, 1], group=1)

    c = [scaled(n, width) for n in (64, 128, 256, 512)]
    x = "input.1"
    g.tensor(x)
    # stem: conv1+bn1 (value ids 123, 124), relu (125), maxpool
    h = conv(x, 3, c[0], 7, 2, "Relu")
    value_id += 2
    h = node("Relu", [h], traced("MaxPool"))
    h = node("MaxPool", [h], f"input.{input_no}", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             ceil_mode=0)
    value_id += 1
    cin = c[0]
    for stage, cout in enumerate(c):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            downsample = stride != 1 or cin != cout
            # conv1, bn1, relu1 (in place: un-named, so "onnx::Conv_<id>")
            y = conv(h, cin, cout, 3, stride, "Relu")
            value_id += 2
            y = node("Relu", [y], traced("Conv"))
            # conv2, bn2: folded; its output feeds the Add
            y = conv(y, cout, cout, 3, 1, "Add")
            value_id += 2
            identity = h
            if downsample:  # downsample conv + bn, folded
                identity = conv(h, cin, cout, 1, stride, "Add")
                value_id += 2
            y = node("Add", [y, identity], traced("Relu"))
            input_no += 20 if downsample else 16  # the trace's "input" suffix counter
            h = node("Relu", [y], f"input.{input_no}")
            value_id += 1
            cin = cout
    h = node("GlobalAveragePool", [h], traced("Flatten"))
    h = node("Flatten", [h], traced("Gemm"), axis=1)
    fc_w = g.const("fc.weight", he_normal(rng, (1000, cin), cin))
    fc_b = g.const("fc.bias", (rng.standard_normal(1000) * 0.01).astype(np.float32))
    value_id += 1
    out = node("Gemm", [h, fc_w, fc_b], str(value_id), alpha=1.0, beta=1.0, transB=1)

    doc = (
        f"torchvision ResNet-18 with the node and tensor names of the legacy PyTorch ONNX "
        f"exporter (BatchNorm folded into Conv; Conv_0 ... Gemm_48; input 'input.1', output "
        f"'{out}'), matching TensorRT's layer information for that export. Channel widths are "
        f"scaled by {width:g} of the original to keep the file small; topology, names and "
        f"kernel/stride/pad are the original's. Symbolic batch dimension 'batch'. Random weights "
        f"(fixed seed): not a trained network. Generated by data/generate.py."
    )
    inputs = [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["batch", 3, 224, 224])]
    outputs = [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", 1000])]
    return g.model("resnet18", inputs, outputs, doc, CNN_OPSET, CNN_IR_VERSION)


# --------------------------------------------------------------------------------------------
# One inception block
# --------------------------------------------------------------------------------------------


def inception_block(width: float, rng: np.random.Generator) -> onnx.ModelProto:
    """GoogLeNet's inception_3a at its real widths (``width`` is not applied: it is small)."""
    del width
    g = GraphBuilder(rng)
    x = g.tensor("input")
    cin = 192

    def conv_relu(name: str, relu: str, src: str, ci: int, co: int, k: int) -> str:
        w = g.const(f"inception/{name}/weight", he_normal(rng, (co, ci, k, k), ci * k * k))
        b = g.const(f"inception/{name}/bias", (rng.standard_normal(co) * 0.1).astype(np.float32))
        p = k // 2
        y = g.node("Conv", f"inception/{name}", [src, w, b], [f"inception/{name}"],
                   kernel_shape=[k, k], strides=[1, 1], pads=[p, p, p, p])
        return g.node("Relu", f"inception/{relu}", [y], [f"inception/{relu}"])

    b1 = conv_relu("1x1", "relu_1x1", x, cin, 64, 1)
    r3 = conv_relu("3x3_reduce", "relu_3x3_reduce", x, cin, 96, 1)
    b3 = conv_relu("3x3", "relu_3x3", r3, 96, 128, 3)
    r5 = conv_relu("5x5_reduce", "relu_5x5_reduce", x, cin, 16, 1)
    b5 = conv_relu("5x5", "relu_5x5", r5, 16, 32, 5)
    pool = g.node("MaxPool", "inception/pool", [x], ["inception/pool"], kernel_shape=[3, 3], strides=[1, 1],
                  pads=[1, 1, 1, 1])
    bp = conv_relu("pool_proj", "relu_pool_proj", pool, cin, 32, 1)
    out = g.node("Concat", "inception/output", [b1, b3, b5, bp], ["output"], axis=1)
    doc = (
        "One GoogLeNet inception block (inception_3a's shapes, 192 -> 256 channels at 28x28): "
        "three 1x1 convolutions read the same tensor (TensorRT fuses them horizontally), each "
        "conv has a bias and a ReLU (fused vertically), plus the 3x3, 5x5 and pool branches and "
        "the Concat. Random weights (fixed seed). Generated by data/generate.py."
    )
    inputs = [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, cin, 28, 28])]
    outputs = [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 256, 28, 28])]
    return g.model("inception_block", inputs, outputs, doc, CNN_OPSET, CNN_IR_VERSION)


# --------------------------------------------------------------------------------------------
# One transformer encoder block
# --------------------------------------------------------------------------------------------


def transformer_block(width: float, rng: np.random.Generator) -> onnx.ModelProto:
    """A pre-norm encoder block: x + Attn(LN(x)), then + MLP(LN(.)); sequence 16, d_model 64, 4 heads."""
    del width
    seq, d, heads, ffn = 16, 64, 4, 256
    dh = d // heads
    g = GraphBuilder(rng)
    x = g.tensor("x")

    def linear(name: str, src: str, din: int, dout: int) -> str:
        w = g.const(f"{name}/weight", (rng.standard_normal((din, dout)) / math.sqrt(din)).astype(np.float32))
        b = g.const(f"{name}/bias", (rng.standard_normal(dout) * 0.02).astype(np.float32))
        y = g.node("MatMul", name, [src, w], [f"{name}/matmul_out"])
        return g.node("Add", f"{name}/bias_add", [y, b], [f"{name}/out"])

    def layer_norm(name: str, src: str) -> str:
        scale = g.const(f"{name}/scale", (1.0 + rng.standard_normal(d) * 0.02).astype(np.float32))
        bias = g.const(f"{name}/bias", (rng.standard_normal(d) * 0.02).astype(np.float32))
        return g.node("LayerNormalization", name, [src, scale, bias], [f"{name}/out"], axis=-1, epsilon=1e-5)

    heads_shape = g.const("attn/heads_shape", np.array([0, 0, heads, dh], np.int64))  # 0 = keep dim
    merged_shape = g.const("attn/merged_shape", np.array([0, 0, d], np.int64))
    scale = g.const("attn/scale_factor", np.array(1.0 / math.sqrt(dh), np.float32))

    h = layer_norm("ln_1", x)
    q = linear("attn/q_proj", h, d, d)  # Q, K and V read the same tensor
    k = linear("attn/k_proj", h, d, d)
    v = linear("attn/v_proj", h, d, d)
    q = g.node("Reshape", "attn/q_split_heads", [q, heads_shape], ["attn/q_heads"])
    q = g.node("Transpose", "attn/q_transpose", [q], ["attn/q"], perm=[0, 2, 1, 3])
    k = g.node("Reshape", "attn/k_split_heads", [k, heads_shape], ["attn/k_heads"])
    k = g.node("Transpose", "attn/k_transpose", [k], ["attn/k_t"], perm=[0, 2, 3, 1])
    v = g.node("Reshape", "attn/v_split_heads", [v, heads_shape], ["attn/v_heads"])
    v = g.node("Transpose", "attn/v_transpose", [v], ["attn/v"], perm=[0, 2, 1, 3])
    s = g.node("MatMul", "attn/scores", [q, k], ["attn/scores"])
    s = g.node("Mul", "attn/scale", [s, scale], ["attn/scaled_scores"])
    p = g.node("Softmax", "attn/softmax", [s], ["attn/probs"], axis=-1)
    a = g.node("MatMul", "attn/context", [p, v], ["attn/context"])
    a = g.node("Transpose", "attn/merge_transpose", [a], ["attn/context_t"], perm=[0, 2, 1, 3])
    a = g.node("Reshape", "attn/merge_heads", [a, merged_shape], ["attn/merged"])
    a = linear("attn/out_proj", a, d, d)
    h1 = g.node("Add", "attn/residual", [x, a], ["attn/residual"])
    m = layer_norm("ln_2", h1)
    m = linear("mlp/fc1", m, d, ffn)
    m = g.node("Gelu", "mlp/gelu", [m], ["mlp/gelu"])
    m = linear("mlp/fc2", m, ffn, d)
    y = g.node("Add", "mlp/residual", [h1, m], ["y"])
    doc = (
        f"A small pre-norm transformer encoder block (sequence {seq}, d_model {d}, {heads} heads, "
        f"MLP {ffn}, Gelu): LayerNormalization, Q/K/V projections reading the same tensor, "
        f"scaled dot-product attention, residual Adds. Random weights (fixed seed). "
        f"Generated by data/generate.py."
    )
    inputs = [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, seq, d])]
    outputs = [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, seq, d])]
    return g.model("transformer_block", inputs, outputs, doc, TRANSFORMER_OPSET, TRANSFORMER_IR_VERSION)


# --------------------------------------------------------------------------------------------

MODELS = {
    "googlenet": googlenet,
    "resnet18": resnet18,
    "inception_block": inception_block,
    "transformer_block": transformer_block,
}


def generate(name: str, *, width: float = DEFAULT_WIDTH, seed: int = DEFAULT_SEED) -> onnx.ModelProto:
    """Build one bundled model in memory (``name`` is a key of MODELS)."""
    if name not in MODELS:
        raise ConfigError(f"no model named {name!r}; choose from {', '.join(MODELS)}")
    if not width > 0:
        raise ConfigError(f"width {width!r} must be a positive factor, e.g. 0.25 or 1")
    # one generator per model, so one model's bytes do not depend on which others are built
    rng = np.random.default_rng([seed, list(MODELS).index(name)])
    return MODELS[name](width, rng)


def verify(path: Path) -> str:
    """Run the model in onnxruntime (CPU) and parse + build it with TensorRT for RTX if installed."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        dims = [d if isinstance(d, int) else 2 for d in i.shape]
        feeds[i.name] = np.random.default_rng(0).standard_normal(dims).astype(np.float32)
    outs = sess.run(None, feeds)
    report = "ort " + " ".join(f"{o.name}{list(a.shape)}" for o, a in zip(sess.get_outputs(), outs))
    try:
        import tensorrt_rtx_bindings as trt
    except ImportError:
        return report + "; TensorRT for RTX not installed"
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise RuntimeError(f"TensorRT for RTX cannot parse {path.name}: {errors}")
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    dynamic = False
    for i in range(network.num_inputs):
        t = network.get_input(i)
        if -1 in tuple(t.shape):
            dynamic = True
            dims = list(t.shape)
            profile.set_shape(t.name, [1 if d == -1 else d for d in dims], [1 if d == -1 else d for d in dims],
                              [8 if d == -1 else d for d in dims])
    if dynamic:
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise RuntimeError(f"TensorRT for RTX could not build {path.name}")
    return report + f"; TensorRT for RTX: {network.num_layers} layers parsed, plan {plan.nbytes} bytes"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", metavar="MODEL",
                    help=f"models to generate (default: all): {', '.join(MODELS)}")
    ap.add_argument("--out", type=Path, default=HERE.parent / "trtlab" / "data",
                    help="output folder (default: trtlab/data/, the package data)")
    ap.add_argument("--width", type=float, default=DEFAULT_WIDTH,
                    help=f"channel-width factor for googlenet and resnet18 (default {DEFAULT_WIDTH})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"weights seed (default {DEFAULT_SEED})")
    ap.add_argument("--verify", action="store_true",
                    help="run each model in onnxruntime and build it with TensorRT for RTX if installed")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.models or list(MODELS):
        try:
            model = generate(name, width=args.width, seed=args.seed)
        except TrtlabError as exc:
            print(f"generate.py: {exc}", file=sys.stderr)
            return 2
        path = args.out / f"{name}.onnx"
        path.write_bytes(model.SerializeToString())
        params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
        line = f"{path}: {len(model.graph.node)} nodes, {params:,} weights, {path.stat().st_size / 1e6:.2f} MB"
        if args.verify:
            line += "\n    " + verify(path)
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
