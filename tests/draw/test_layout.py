"""Layered layout on real graphs: edges point forward, crossings go down, cycles survive."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trtlab
from trtlab.draw import compute_layout, count_crossings, layered_layout
from trtlab.errors import ConfigError


def _segment_crossings(routes: list[np.ndarray], along: int) -> int:
    """Crossings counted geometrically: segments between the same two layers whose ends swap
    order (independent of the layout's own counter). Segments sharing an end do not cross."""
    by_gap: dict = {}
    for r in routes:
        for p, q in zip(r[:-1], r[1:]):
            a, b = (p, q) if p[along] < q[along] else (q, p)
            by_gap.setdefault((round(a[along], 6), round(b[along], 6)), []).append((a[1 - along], b[1 - along]))
    total = 0
    for segs in by_gap.values():
        for (a1, b1), (a2, b2) in itertools.combinations(segs, 2):
            if (a1 - a2) * (b1 - b2) < 0 and a1 != a2 and b1 != b2:
                total += 1
    return total


@pytest.mark.parametrize("direction", ["LR", "TB", "RL", "BT"])
def test_every_edge_points_forward_on_real_models(direction, fixtures, googlenet, residual_block):
    graphs = [googlenet, residual_block.nx, trtlab.load_onnx(fixtures / "onnx" / "attention.onnx").nx]
    for G in graphs:
        pos = layered_layout(G, direction)
        assert set(pos) == set(G.nodes)
        for u, v in G.edges:
            (xu, yu), (xv, yv) = pos[u], pos[v]
            step = {"LR": xv - xu, "RL": xu - xv, "TB": yu - yv, "BT": yv - yu}[direction]
            assert step >= 1 - 1e-9, (u, v, pos[u], pos[v])


def test_nodes_in_a_layer_do_not_overlap(googlenet):
    pos = layered_layout(googlenet, "TB")
    rows: dict = {}
    for x, y in pos.values():
        rows.setdefault(round(y, 6), []).append(x)
    assert len(rows) > 40  # GoogLeNet is deep
    for xs in rows.values():
        xs = sorted(xs)
        assert all(b - a >= 1 - 1e-9 for a, b in zip(xs, xs[1:]))


def test_crossing_reduction_reduces_crossings_on_googlenet(googlenet):
    # the same real graph with its nodes listed in name order: a valid but scrambled start
    scrambled = nx.DiGraph()
    scrambled.add_nodes_from(sorted(googlenet.nodes))
    scrambled.add_edges_from(sorted(googlenet.edges))
    start = compute_layout(scrambled, "TB", max_sweeps=0)
    reduced = compute_layout(scrambled, "TB")
    before = _segment_crossings(list(start.routes.values()), along=1)
    after = _segment_crossings(list(reduced.routes.values()), along=1)
    assert before == start.initial_crossings > 0
    assert after == reduced.crossings
    assert after < before / 4, (before, after)


def test_count_crossings_of_a_known_drawing():
    # K(2,2) drawn with the bottom pair swapped crosses once; in order, never
    G = nx.DiGraph([("a", "c"), ("b", "d")])
    assert count_crossings(G, {"a": (0, 0), "b": (1, 0), "c": (0, -1), "d": (1, -1)}, "TB") == 0
    assert count_crossings(G, {"a": (0, 0), "b": (1, 0), "c": (1, -1), "d": (0, -1)}, "TB") == 1


def test_long_edges_are_routed_through_every_layer(residual_block):
    lay = compute_layout(residual_block.nx, "TB")
    for (u, v), route in lay.routes.items():
        span = lay.layer[v] - lay.layer[u]
        assert len(route) == span + 1
        assert np.allclose(route[0], lay.pos[u]) and np.allclose(route[-1], lay.pos[v])


def test_cycles_are_laid_out_with_the_closing_edge_reversed():
    G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    lay = compute_layout(G, "LR")
    assert lay.reversed_edges == [("c", "a")]
    assert lay.pos["a"][0] < lay.pos["b"][0] < lay.pos["c"][0] < lay.pos["d"][0]


def test_sources_sit_next_to_their_first_consumer():
    # a constant-like source feeding the last node is not put in the first layer
    G = nx.DiGraph([("x0", "x1"), ("x1", "x2"), ("x2", "x3"), ("const", "x3")])
    lay = compute_layout(G, "TB")
    assert lay.layer["const"] == lay.layer["x3"] - 1


def test_empty_and_single_node_graphs():
    assert layered_layout(nx.DiGraph()) == {}
    G = nx.DiGraph()
    G.add_node("only")
    assert layered_layout(G) == {"only": (0.0, 0.0)}


def test_bad_direction_is_a_config_error(googlenet):
    with pytest.raises(ConfigError, match="'diagonal'.*LR, TB"):
        layered_layout(googlenet, "diagonal")


def test_fold_layout_cuts_a_deep_graph_into_bands(graph_scale):
    from trtlab.draw.layout import fold_layout

    g = trtlab.load_onnx(graph_scale.make_model(500))
    lay = compute_layout(g.nx, "TB")
    folded = fold_layout(lay)
    assert folded.n_layers < lay.n_layers / 3  # several bands, each much shorter
    xy = np.array(list(folded.pos.values()))
    assert (xy[:, 1].max() - xy[:, 1].min()) < lay.n_layers / 3
    per_band = folded.n_layers
    for u, v in g.nx.edges:
        lu, lv = lay.layer[u], lay.layer[v]
        if lu // per_band == lv // per_band:  # same band: still points down
            assert folded.pos[u][1] > folded.pos[v][1]
        else:  # into the next band: drawn as two stubs with a gap (NaN) between them
            assert np.isnan(folded.routes[(u, v)]).any()


@st.composite
def _dags(draw):
    n = draw(st.integers(1, 40))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))
    G = nx.DiGraph()
    G.add_nodes_from(draw(st.permutations(range(n))))  # any node order
    G.add_edges_from((min(a, b), max(a, b)) for a, b in pairs if a != b)
    return G


@settings(max_examples=60, deadline=None)
@given(_dags(), st.sampled_from(["LR", "TB"]))
def test_any_dag_gets_forward_edges_and_no_overlaps(G, direction):
    lay = compute_layout(G, direction)
    along, across = (0, 1) if direction == "LR" else (1, 0)
    sign = 1 if direction == "LR" else -1
    for u, v in G.edges:
        assert sign * (lay.pos[v][along] - lay.pos[u][along]) >= 1 - 1e-9
    by_layer: dict = {}
    for p in lay.pos.values():
        by_layer.setdefault(round(p[along], 6), []).append(p[across])
    for xs in by_layer.values():
        xs.sort()
        assert all(b - a >= 1 - 1e-9 for a, b in zip(xs, xs[1:]))
    assert lay.crossings <= lay.initial_crossings
