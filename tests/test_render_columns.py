"""Column widths of ruled tables (service/render/columns.py)."""
import pytest

from schemas.registry import get_template
from service.render.columns import CAPACITY, column_widths


def test_short_headers_of_a_wide_table_stay_on_one_line():
    """it_support's 问题记录 has nine columns; 问题类型 and 解决状态 must not break as 问题类/型."""
    table = next(t for _s, _p, t in get_template("it_support").tables() if t.key == "records")
    rows = [{"problem_type": "网络问题", "status": "已解决", "started_at": "2026-11-02 09:15"}]
    widths = {c.label: c.width for c in column_widths(list(table.columns), rows)}
    assert sum(widths.values()) == pytest.approx(100, abs=0.1)
    for label in ("问题类型", "解决状态"):
        # the characters and the cell's padding (about one character): 4.55 units broke the header
        assert widths[label] / 100 * CAPACITY >= len(label) + 1, (label, widths)
