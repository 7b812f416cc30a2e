"""Lateness statistics of the loop without allocating: a ring of recent samples, percentiles by sorting
a preallocated copy in a numba kernel."""

from __future__ import annotations

import numpy as np
from numba import njit

S_P50 = 0
S_P99 = 1
S_P999 = 2
S_MAX = 3
N_STATS = 4


@njit(cache=True)
def percentiles(samples: np.ndarray, n: int, scratch: np.ndarray, out: np.ndarray) -> None:
    """p50, p99, p99.9 and max of ``samples[:n]`` into ``out`` (nearest rank; zeros if ``n`` is 0)."""
    if n == 0:
        out[:] = 0.0
        return
    s = scratch[:n]
    s[:] = samples[:n]
    s.sort()
    # nearest rank ceil(q * n), in integers so that no rounding moves it
    out[S_P50] = s[(n * 50 + 99) // 100 - 1]
    out[S_P99] = s[(n * 99 + 99) // 100 - 1]
    out[S_P999] = s[(n * 999 + 999) // 1000 - 1]
    out[S_MAX] = s[n - 1]


class Ring:
    """The last ``size`` samples [ns]."""

    def __init__(self, size: int) -> None:
        self.samples = np.zeros(size, dtype=np.int64)
        self._scratch = np.zeros(size, dtype=np.int64)
        self.stats = np.zeros(N_STATS)
        self.n = 0
        self._i = 0

    def add(self, value: int) -> None:
        self.samples[self._i] = value
        self._i += 1
        if self._i == self.samples.size:
            self._i = 0
        if self.n < self.samples.size:
            self.n += 1

    def clear(self) -> None:
        self.n = 0
        self._i = 0

    def compute(self) -> np.ndarray:
        """p50, p99, p99.9, max [ns] of the samples held (``S_*`` layout); reused array."""
        percentiles(self.samples, self.n, self._scratch, self.stats)
        return self.stats

    def warm_up(self) -> None:
        percentiles(self.samples, 1, self._scratch, self.stats)


def summary_us(samples_ns: np.ndarray) -> dict[str, float]:
    """p50, p99, p99.9 and max of a whole record [us], for reports (allocates)."""
    out = np.zeros(N_STATS)
    percentiles(samples_ns, samples_ns.size, np.empty_like(samples_ns), out)
    return {
        "p50_us": out[S_P50] / 1e3,
        "p99_us": out[S_P99] / 1e3,
        "p99.9_us": out[S_P999] / 1e3,
        "max_us": out[S_MAX] / 1e3,
    }
