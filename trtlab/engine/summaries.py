"""Counts of engine layers and of their precisions, shared by :class:`EnginePlan` and the fusion report.

Both the plan and the report count through :meth:`LayerCounts.of` and :meth:`PrecisionSummary.of`,
so the numbers a notebook, a picture title and the command line show always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ._html import html_table
from .formats import PRECISION_ORDER
from .kinds import Kind

__all__ = ["LayerCounts", "PrecisionSummary"]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@dataclass(frozen=True)
class LayerCounts:
    """How many engine layers of each sort an engine has.

    ``compute``: layers that run a kernel of the network; ``reformat``: format conversions and copies
    TensorRT inserted; ``sync``: stream signal/wait layers; ``internal``: Myelin's own bookkeeping
    kernels; ``noop``: the network's own nodes that run no kernel (a shape change done in place);
    ``constants``: Constant layers (weights put in place, no computation).
    """

    total: int
    compute: int
    reformat: int
    sync: int
    internal: int
    noop: int
    constants: int

    @classmethod
    def of(cls, kinds: Iterable[Kind | str], layer_types: Iterable[str | None]) -> "LayerCounts":
        """Counts from each layer's kind and LayerType (two sequences in the same order)."""
        kinds = list(kinds)
        by_kind = Counter(kinds)
        constants = sum(1 for k, t in zip(kinds, layer_types)
                        if (t or "").lower() == "constant" and not Kind(k).is_inserted and k != Kind.NOOP)
        other = sum(by_kind[k] for k in (Kind.REFORMAT, Kind.SYNC, Kind.INTERNAL, Kind.NOOP))
        return cls(total=len(kinds), compute=len(kinds) - other - constants, reformat=by_kind[Kind.REFORMAT],
                   sync=by_kind[Kind.SYNC], internal=by_kind[Kind.INTERNAL], noop=by_kind[Kind.NOOP],
                   constants=constants)

    @property
    def inserted(self) -> int:
        """Layers TensorRT added that absorb no ONNX node (reformat + sync + internal)."""
        return self.reformat + self.sync + self.internal

    def sentence(self) -> str:
        """One sentence a learner understands, e.g. ``"26 engine layers: 23 compute, 2 reformats ..."``."""
        if self.total == 0:
            return "0 engine layers"
        parts = [f"{self.compute} compute"]
        if self.reformat:
            parts.append(_plural(self.reformat, "reformat") + " inserted by TensorRT (format conversions and copies)")
        if self.sync:
            parts.append(f"{self.sync} stream sync (signal/wait) "
                         f"{'layer' if self.sync == 1 else 'layers'} with no tensors")
        if self.internal:
            parts.append(f"{self.internal} Myelin internal "
                         f"{'layer' if self.internal == 1 else 'layers'} (shape and memory bookkeeping)")
        if self.noop:
            parts.append(f"{self.noop} of the network's own nodes run as "
                         f"{'a no-op' if self.noop == 1 else 'no-ops'} (no kernel)")
        if self.constants:
            parts.append(_plural(self.constants, "constant"))
        return f"{_plural(self.total, 'engine layer')}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "compute": self.compute, "reformat": self.reformat, "sync": self.sync,
                "internal": self.internal, "noop": self.noop, "constants": self.constants}

    def __str__(self) -> str:
        return self.sentence()


def _precision_key(p: str) -> tuple[int, str]:
    return (PRECISION_ORDER.index(p) if p in PRECISION_ORDER else len(PRECISION_ORDER), p)


@dataclass(frozen=True)
class PrecisionSummary:
    """Which layers run in which precision (the precision a layer computes in, not its output type).

    ``layers``: precision -> names of the computing layers that run in it. ``by_type``: a type (the
    engine's LayerType, or the ONNX op type in a fusion report, per ``type_label``) -> precision ->
    how many of it (layers, or ONNX nodes).
    """

    layers: dict[str, tuple[str, ...]]
    by_type: dict[str, dict[str, int]]
    type_label: str
    counted: str = "layers"

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str | None, str | None]], type_label: str,
           typed: Iterable[tuple[str | None, str | None]] | None = None, counted: str = "layers") -> "PrecisionSummary":
        """From (layer name, compute precision, type) rows of the computing layers; ``typed`` gives
        (type, precision) pairs counted per type instead (ONNX nodes in a fusion report)."""
        rows = list(rows)
        names: dict[str, list[str]] = {}
        for name, precision, _ in rows:
            names.setdefault(precision or "unknown", []).append(name)
        pairs = [(t, p) for _, p, t in rows] if typed is None else list(typed)
        by_type: dict[str, Counter] = {}
        for t, p in pairs:
            by_type.setdefault(t or "?", Counter())[p or "unknown"] += 1
        order = sorted(names, key=_precision_key)
        return cls(layers={p: tuple(names[p]) for p in order},
                   by_type={t: dict(sorted(c.items(), key=lambda kv: _precision_key(kv[0])))
                            for t, c in sorted(by_type.items())},
                   type_label=type_label, counted=counted)

    @property
    def counts(self) -> dict[str, int]:
        """Precision -> number of computing layers that run in it."""
        return {p: len(v) for p, v in self.layers.items()}

    def other_than(self, precision: str) -> tuple[str, ...]:
        """Names of the computing layers that do not run in ``precision``: in an INT8 engine,
        ``other_than("INT8")`` lists the layers that fell back to FP16/FP32."""
        return tuple(name for p, names in self.layers.items() if p != precision for name in names)

    def sentence(self) -> str:
        total = sum(self.counts.values())
        if not total:
            return "no computing layers"
        runs = ", ".join(f"{n} {p}" for p, n in self.counts.items())
        return f"{_plural(total, 'computing layer')} run in: {runs}"

    def rows(self) -> list[tuple[str, str]]:
        out = [(t, ", ".join(f"{p} {n}" for p, n in c.items())) for t, c in self.by_type.items()]
        return out

    def __str__(self) -> str:
        width = max((len(t) for t, _ in self.rows()), default=0)
        lines = [self.sentence(), f"per {self.type_label} ({self.counted}):"]
        lines += [f"  {t:<{width}}  {v}" for t, v in self.rows()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return html_table([self.type_label, f"{self.counted} per precision"], [list(r) for r in self.rows()],
                          title=self.sentence())
