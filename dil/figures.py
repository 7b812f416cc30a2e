"""Matplotlib figures as images embedded in self-contained HTML pages."""

from __future__ import annotations

import base64
import io
from typing import Any


def png_base64(fig: Any) -> str:
    """``fig`` (a matplotlib Figure) as a base64 PNG at 90 dpi, for ``<img src="data:image/png;base64,...">``;
    the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()
