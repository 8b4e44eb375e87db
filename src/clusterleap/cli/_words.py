"""The headings and number format shared by the command line's tables, in English and Chinese."""

from __future__ import annotations

import math

#: Column headings of the command line's tables.
HEADINGS = {
    "en": {"rank": "rank", "unit": "unit", "name": "name", "grade": "grade", "type": "type", "reason": "reason",
           "action": "action", "because": "triggered by"},
    "zh": {"rank": "排名", "unit": "代码", "name": "名称", "grade": "等级", "type": "类型", "reason": "理由",
           "action": "政策举措", "because": "触发短板"},
}


def fmt(v: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals, never "-0.00"; empty for NaN."""
    return "" if math.isnan(v) else f"{round(v, digits) + 0.0:.{digits}f}"
