#!/usr/bin/env python3
"""The scipy side of bench/drift.ts: the same drift tests, the way Evidently runs them.

usage: python3 bench/drift_scipy.py <job.json>   (written by bench/drift.ts; prints one JSON object)

The job names, per scenario, a reference set, a current set, the columns (numerical: float64
files; categorical: int32 code files) and "default" (Evidently's choice: reference > 1000 rows ->
wasserstein normed by the reference std for numbers, jensenshannon on get_binned_data for
categories; <= 1000 -> ks / chisquare / z) or a forced test name. numpy replaces pandas for value
counts (np.unique), which is what pandas' nunique/value_counts amount to. Only the statistics are
timed; loading the files is not. Each scenario runs `repeats` times; the median is reported.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.spatial import distance


def binned(ref, cur, numerical):
    if numerical and np.unique(ref).size > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)
    keys = np.union1d(np.unique(ref), np.unique(cur))
    rc = np.zeros(keys.size)
    cc = np.zeros(keys.size)
    k, c = np.unique(ref, return_counts=True)
    rc[np.searchsorted(keys, k)] = c
    k, c = np.unique(cur, return_counts=True)
    cc[np.searchsorted(keys, k)] = c
    return rc / len(ref), cc / len(cur)


def fill(p):
    p = p.copy()
    m = p[p != 0].min()
    p[p == 0] = m / 1e6 if m <= 1e-4 else 1e-4
    return p


def run(test, ref, cur, numerical):
    if test == "default":
        n_values = np.unique(np.concatenate([ref, cur])).size
        if len(ref) <= 1000:
            test = "ks" if numerical and n_values > 5 else ("chisquare" if n_values > 2 else "z")
        else:
            test = "wasserstein" if numerical and n_values > 5 else "jensenshannon"
    if test == "ks":
        r = stats.ks_2samp(ref, cur)
        return test, float(r.statistic), float(r.pvalue)
    if test == "wasserstein":
        return test, float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)), None
    if test == "jensenshannon":
        r, c = binned(ref, cur, numerical)
        return test, float(distance.jensenshannon(r, c)), None
    if test == "psi":
        r, c = binned(ref, cur, numerical)
        r, c = fill(r), fill(c)
        return test, float(np.sum((r - c) * np.log(r / c))), None
    raise ValueError(test)


def main():
    job = json.loads(Path(sys.argv[1]).read_text())
    folder = Path(job["dir"])

    def load(dataset, column):
        if column["kind"] == "numerical":
            return np.fromfile(folder / f"{dataset}_{column['name']}.f64", dtype="<f8")
        return np.fromfile(folder / f"{dataset}_{column['name']}.i32", dtype="<i4")

    out = []
    for sc in job["scenarios"]:
        data = [(c, load(sc["reference"], c), load(sc["current"], c)) for c in sc["columns"]]
        times = []
        results = None
        for _ in range(job["repeats"]):
            t0 = time.perf_counter()
            results = [(c["name"],) + run(sc["test"], r, k, c["kind"] == "numerical") for c, r, k in data]
            times.append(time.perf_counter() - t0)
        out.append({
            "name": sc["name"],
            "seconds": float(np.median(times)),
            "columns": [{"name": n, "test": t, "statistic": s, "pValue": p} for n, t, s, p in results],
        })
    print(json.dumps({"scenarios": out}))


if __name__ == "__main__":
    main()
