"""Reading engine layer information: :func:`load_layer_info` picks the reader for what it is given.

JSON goes to :mod:`.jsonplan`, one-line text and builder logs to :mod:`.oneline`. The model objects
live in :mod:`.model`, the record builders in :mod:`.records`, types and formats in :mod:`.formats`;
their names can be imported from here as well.
"""

from __future__ import annotations

from .._boundary import boundary, gc_paused
from ..errors import LayerInfoError
from ._source import read_source
from .jsonplan import plan_from_json
from .oneline import parse_oneline

# the model, record and format names stay importable from this module (trtlab.engine.plan.EnginePlan)
from .formats import parse_format  # noqa: F401
from .model import MORE_DETAIL, EngineLayer, EnginePlan, EngineTensor, IOTensor  # noqa: F401
from .records import assign_uids, io_from_bindings, make_io, make_layer, make_tensor, parse_metadata  # noqa: F401

__all__ = ["load_layer_info"]


def load_layer_info(src: object) -> EnginePlan:
    """Read TensorRT engine layer information into an :class:`EnginePlan`.

    ``src`` is an EnginePlan (returned as is), a path to (or the text of) the JSON from ``trtexec --exportLayerInfo`` /
    ``IEngineInspector.get_engine_information(LayerInformationFormat.JSON)`` (TensorRT 8.x, 10.x,
    11.x, TensorRT for RTX; DETAILED, LAYER_NAMES_ONLY or NONE verbosity), the parsed JSON
    (dict or list), or one-line text / a builder verbose log (see :func:`parse_oneline`).
    Raises :class:`LayerInfoError` saying what is wrong with anything else.
    """
    if isinstance(src, EnginePlan):
        return src
    label = None
    try:
        with boundary(LayerInfoError, "reading the layer information",
                      "expected trtexec --exportLayerInfo JSON or a TensorRT one-line layer listing"), gc_paused():
            data, kind, label = read_source(src, "layer information")
            if kind == "text":
                return parse_oneline(data)
            return plan_from_json(data, label)
    except LayerInfoError as exc:
        # errors found inside a layer or a line name the layer; say which file it is in
        if label is not None and label.startswith("layer information file") and label not in str(exc):
            raise LayerInfoError(f"{label}: {exc}") from exc
        raise
