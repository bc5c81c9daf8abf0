"""Solving the networks with OR-Tools, in parallel processes when asked, and reading the flows
back as (group, carer, number of children).

`SimpleMinCostFlow.solve_max_flow_with_min_cost` first finds how many units can flow at most,
then the cheapest way to send that many: the most children paired per role, then the least cost.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]  # no stubs

from care365.pairing.solver import arrays as ar
from care365.pairing.solver.components import component_labels
from care365.pairing.solver.network import LEVEL_CARER, RoleNetwork
from care365.pairing.solver.prepare import IntArray

# Networks with fewer arcs are solved whole; components smaller than this are put together.
SPLIT_MIN_ARCS = 20_000


class SolverError(RuntimeError):
    """OR-Tools did not reach an optimum (a bug: the networks are always feasible)."""


@dataclass(slots=True)
class Batch:
    """A part of a role's network made of whole components, with its own node numbering."""

    nodes: IntArray  # global node ids, ascending
    arcs: IntArray  # global arc ids
    tails: IntArray  # local
    heads: IntArray
    caps: IntArray
    primary: IntArray
    secondary: IntArray
    multiplier: int
    supply: IntArray


def solve_batch(batch: Batch) -> tuple[IntArray, float]:
    """Flows of the batch's arcs and the seconds spent inside OR-Tools.

    With the tie-break the costs are multiplied by M; if OR-Tools finds that too large for its
    cost scaling (BAD_COST_RANGE), the batch is solved again without it: still optimal, only
    ties are then broken by OR-Tools rather than towards current pairs.
    """
    seconds = 0.0
    for tie_break in (True, False):
        if tie_break and batch.multiplier > 1:
            costs = batch.primary * batch.multiplier + batch.secondary
        elif tie_break:
            continue
        else:
            costs = batch.primary
        flows, status, spent = _solve(batch, costs)
        seconds += spent
        if status == min_cost_flow.SimpleMinCostFlow.OPTIMAL:
            return flows, seconds
        if status != min_cost_flow.SimpleMinCostFlow.BAD_COST_RANGE:
            break
    raise SolverError(f"min-cost flow ended with status {status}")


def _solve(batch: Batch, costs: IntArray) -> tuple[IntArray, object, float]:
    n_arcs = len(batch.tails)
    if n_arcs == 0:
        return np.zeros(0, dtype=np.int64), min_cost_flow.SimpleMinCostFlow.OPTIMAL, 0.0
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(batch.tails, batch.heads, batch.caps, costs)
    smcf.set_nodes_supplies(np.arange(len(batch.nodes), dtype=np.int64), batch.supply)
    start = time.perf_counter()
    status = smcf.solve_max_flow_with_min_cost()
    seconds = time.perf_counter() - start
    if status != smcf.OPTIMAL:
        return np.zeros(0, dtype=np.int64), status, seconds
    flows = np.asarray(smcf.flows(np.arange(n_arcs, dtype=np.int64)), dtype=np.int64)
    return flows, status, seconds


def batches(net: RoleNetwork, *, split: bool) -> list[Batch]:
    """The network as one batch, or cut into its components (small ones put together).

    Cost scaling grows faster than the size of the network, so components solved one by one
    take less time in all than the whole network at once, even in a single process.
    """
    n = len(net.level)
    everything = [_batch(net, np.arange(n, dtype=np.int64), np.arange(len(net.tails)))]
    if not split or len(net.tails) < SPLIT_MIN_ARCS:
        return everything
    labels = component_labels(n, net.tails, net.heads)
    n_comp = int(labels.max()) + 1
    if n_comp == 1:
        return everything
    sizes = np.bincount(labels[net.tails], minlength=n_comp).astype(np.int64)
    batch_of = np.full(n_comp, -1, dtype=np.int64)
    count, filled = 0, 0
    for comp in np.argsort(-sizes, kind="stable").tolist():
        if sizes[comp] == 0:
            continue
        if filled == 0 or filled + sizes[comp] > SPLIT_MIN_ARCS:
            count += 1
            filled = 0
        batch_of[comp] = count - 1
        filled += int(sizes[comp])
    node_batch = batch_of[labels]
    arc_batch = node_batch[net.tails]
    node_indptr, node_rows = ar.csr(np.where(node_batch < 0, count, node_batch), count + 1)
    arc_indptr, arc_rows = ar.csr(arc_batch, count)
    return [
        _batch(
            net,
            np.sort(node_rows[node_indptr[k] : node_indptr[k + 1]]),
            np.sort(arc_rows[arc_indptr[k] : arc_indptr[k + 1]]),
        )
        for k in range(count)
    ]


def _batch(net: RoleNetwork, nodes: IntArray, arcs: IntArray) -> Batch:
    local = np.full(len(net.level), -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes), dtype=np.int64)
    return Batch(
        nodes=nodes,
        arcs=arcs,
        tails=local[net.tails[arcs]],
        heads=local[net.heads[arcs]],
        caps=net.caps[arcs],
        primary=net.primary[arcs],
        secondary=net.secondary[arcs],
        multiplier=net.multiplier,
        supply=net.supply[nodes],
    )


class Handle:
    """The flows of one role's network, once its batches are solved."""

    def __init__(
        self, n_arcs: int, parts: list[tuple[Batch, Future[tuple[IntArray, float]]]]
    ) -> None:
        self.n_arcs = n_arcs
        self.parts = parts
        self.seconds = 0.0

    def flows(self) -> IntArray:
        flows = np.zeros(self.n_arcs, dtype=np.int64)
        for batch, future in self.parts:
            batch_flows, spent = future.result()
            flows[batch.arcs] = batch_flows
            self.seconds += spent
        return flows

    def release(self) -> None:
        self.parts = []


class FlowRunner:
    """Solves networks batch by batch: here, or in a pool of worker processes.

    Batches go to the pool as soon as a network is built, largest first, so the workers start
    while the next network is being built.
    """

    def __init__(self, workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.handles: list[Handle] = []
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def submit(self, net: RoleNetwork) -> Handle:
        work = sorted(batches(net, split=True), key=lambda batch: -len(batch.tails))
        parts: list[tuple[Batch, Future[tuple[IntArray, float]]]] = []
        for batch in work:
            if self.pool is None:
                future: Future[tuple[IntArray, float]] = Future()
                future.set_result(solve_batch(batch))
            else:
                future = self.pool.submit(solve_batch, batch)
            parts.append((batch, future))
        handle = Handle(len(net.tails), parts)
        self.handles.append(handle)
        return handle

    @property
    def seconds(self) -> float:
        """Seconds spent inside OR-Tools, summed over the batches (and workers)."""
        return sum(h.seconds for h in self.handles)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def decompose(net: RoleNetwork, flows: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(group, carer index, children) for every unit of flow from a group to a carer.

    The network is layered (every arc goes to a higher level), so the flow is followed level by
    level: the parcels of flow that reached a node (each remembering its group) are cut along
    the node's outgoing flows in order. Any such cut is optimal: every path costs at least the
    true cost of its (group, carer) pair and the total equals the optimum.
    """
    used = flows > 0
    tails, heads, amount = net.tails[used], net.heads[used], flows[used]
    level = net.level
    out_of = np.bincount(tails, weights=amount, minlength=len(level)).astype(np.int64)
    sent = out_of[net.group_node]
    start = np.flatnonzero(sent > 0).astype(np.int64)
    pending: dict[int, list[tuple[IntArray, IntArray, IntArray]]] = {}

    def put(node: IntArray, group: IntArray, size: IntArray) -> None:
        node_level = level[node]
        for lev in np.unique(node_level).tolist():
            sel = node_level == lev
            pending.setdefault(lev, []).append((node[sel], group[sel], size[sel]))

    put(net.group_node[start], start, sent[start])
    arc_level = level[tails]
    arc_order = np.lexsort((tails, arc_level))
    lev_sorted = arc_level[arc_order]
    while True:
        below = [lev for lev in pending if lev != LEVEL_CARER]
        if not below:
            break
        lev = min(below)
        parts = pending.pop(lev)
        q_node = np.concatenate([p[0] for p in parts])
        q_group = np.concatenate([p[1] for p in parts])
        q_amount = np.concatenate([p[2] for p in parts])
        key = ar.keys(q_node, q_group)
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        q_amount = np.bincount(inverse.reshape(-1), weights=q_amount, minlength=len(uniq)).astype(
            np.int64
        )
        q_node, q_group = q_node[first], q_group[first]  # sorted by node, then group
        lo, hi = np.searchsorted(lev_sorted, [lev, lev + 1])
        a_order = arc_order[lo:hi]  # arcs of this level, by tail
        q_end = np.cumsum(q_amount)
        a_end = np.cumsum(amount[a_order])
        if len(a_end) == 0 or q_end[-1] != a_end[-1]:
            raise SolverError("flow is not conserved")
        ends = np.union1d(q_end, a_end)
        starts = np.concatenate([[0], ends[:-1]])
        qi = np.searchsorted(q_end, starts, side="right")
        ai = np.searchsorted(a_end, starts, side="right")
        put(heads[a_order[ai]], q_group[qi], ends - starts)
    parts = pending.pop(LEVEL_CARER, [])
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    node = np.concatenate([p[0] for p in parts])
    group = np.concatenate([p[1] for p in parts])
    size = np.concatenate([p[2] for p in parts])
    return group, net.carer_node_of[node], size
