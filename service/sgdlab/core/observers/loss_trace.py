"""Loss trace every k steps: exact mean and std over all particles, quantiles from a fixed per-shard subsample."""

from __future__ import annotations

import warnings

import numpy as np

QUANTILES = (0.1, 0.5, 0.9)


class LossTraceObserver:
    """Sums of L and L^2 (exact, mergeable) and the losses of up to `subsample` particles per shard (quantiles)."""

    per_step = True

    def __init__(self, loss, steps: int, every: int, subsample: int):
        self.loss = loss
        self.points = list(range(0, steps + 1, every))
        if self.points[-1] != steps:
            self.points.append(steps)
        self.index = {s: i for i, s in enumerate(self.points)}
        self.sums = np.zeros((len(self.points), 3))           # count, sum, sum of squares (finite values)
        self.subsample = subsample
        self.taken = 0
        self.sub: list[np.ndarray] = []
        self.block_sub: np.ndarray | None = None

    def begin_block(self, w, offset):
        take = max(0, min(len(w), self.subsample - self.taken))
        self.block_take = take
        self.block_sub = np.full((len(self.points), take), np.nan)
        self.after_step(0, w)

    def after_step(self, t, w):
        i = self.index.get(t)
        if i is None:
            return
        with np.errstate(all="ignore"):
            v = self.loss(w)
        ok = np.isfinite(v)
        vf = v[ok]
        self.sums[i] += (vf.size, vf.sum(), (vf * vf).sum())
        if self.block_take:
            self.block_sub[i] = v[: self.block_take]

    def end_block(self, w):
        if self.block_take:
            self.sub.append(self.block_sub)
            self.taken += self.block_take

    def state(self):
        sub = np.concatenate(self.sub, axis=1) if self.sub else np.empty((len(self.points), 0))
        return {"sums": self.sums, "subsample": sub}

    @staticmethod
    def merge(states):
        return {"sums": sum(s["sums"] for s in states),
                "subsample": np.concatenate([s["subsample"] for s in states], axis=1)}

    def summarise(self, merged):
        n, s1, s2 = merged["sums"].T
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.where(n > 0, s1 / np.maximum(n, 1), np.nan)
            var = np.maximum(np.where(n > 1, (s2 - n * mean ** 2) / np.maximum(n - 1, 1), np.nan), 0)
            sub = merged["subsample"]
            q = {str(p): np.nanquantile(sub, p, axis=1).tolist() if sub.shape[1] else [None] * len(self.points)
                 for p in QUANTILES}
        clean = lambda a: [None if not np.isfinite(x) else float(x) for x in a]  # noqa: E731
        return {"steps": self.points, "mean": clean(mean), "std": clean(np.sqrt(var)),
                "quantiles": {k: clean(np.asarray(v, dtype=float)) for k, v in q.items()},
                "quantile_subsample": int(merged["subsample"].shape[1])}
