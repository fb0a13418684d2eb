"""The PDF of a report (NEA 附件4's table where it applies), rendered by WeasyPrint from HTML; None without it."""

from __future__ import annotations

from html import escape

from casemgmt.stats import definitions as d
from casemgmt.stats.report import UNIT_COLUMNS

CSS = """
@page { size: A4 landscape; margin: 14mm 12mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", sans-serif; font-size: 9pt; color: #222; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 11pt; margin: 5mm 0 2mm; border-left: 3px solid #b71c1c; padding-left: 2mm; }
p.sub { text-align: center; color: #555; margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #888; padding: 1mm 1.5mm; text-align: center; }
td.name { text-align: left; }
th { background: #eef2f6; }
tr.bottom td { background: #fdecea; }
.kpis td { font-size: 10pt; }
"""


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if isinstance(value, float) else escape(str(value))


def html(data: dict) -> str:
    """Return the report as HTML: summary table, 附件4-style unit table, 通报, hot spots."""
    totals = data["totals"]
    rates = "".join(
        f"<tr><td class='name'>{r.label}</td><td>{_fmt(totals[r.name])}%</td>"
        f"<td>{totals[r.numerator]} / {totals[r.denominator]}</td><td class='name'>{r.article}</td></tr>"
        for r in d.RATES
    )
    head = "".join(f"<th>{label}</th>" for _, label in UNIT_COLUMNS)
    bottom = {u["org"] for u in data.get("notice", {}).get("bottom", [])}
    units = "".join(
        f"<tr class='{'bottom' if u['org'] in bottom else ''}'><td>{n}</td>"
        f"<td class='name'>{'　' * u['depth']}{escape(u['name'])}</td>"
        + "".join(f"<td>{_fmt(u[name])}</td>" for name, _ in UNIT_COLUMNS)
        + "</tr>"
        for n, u in enumerate(data["units"][:400], start=1)
    )
    notice = data.get("notice", {})
    bottom_rows = "".join(
        f"<tr class='bottom'><td>{u['rank']}</td><td class='name'>{escape(u['name'])}</td>"
        f"<td>{_fmt(u['rectify_rate'])}</td>"
        f"<td>{_fmt(u['good_rate'])}</td><td>{u['bad']}</td></tr>"
        for u in notice.get("bottom", [])
    )
    open_rows = "".join(
        f"<tr><td class='name'>{escape(u['name'])}</td><td>{u['open']}</td></tr>" for u in notice.get("open", [])
    )
    hot = "".join(
        f"<tr><td>{d.DIMENSIONS[dim]}</td><td class='name'>{escape(r['key'])}</td><td>{r['bad']}</td></tr>"
        for dim in ("item", "reason")
        for r in data["hot"][dim][:10]
        if r["bad"]
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{CSS}</style></head><body>
<h1>{escape(data.get("title") or data["unit"])}</h1>
<p class="sub">统计期间：{data["from"]} 至 {data["to"]}（不含）　评价总数 {totals["evaluations"]}
　差评 {totals["bad"]}　不予采纳 {totals["revoked"]}</p>
<h2>一、总体情况</h2>
<table class="kpis"><tr><th>指标</th><th>数值</th><th>分子 / 分母</th><th>依据</th></tr>{rates}</table>
<h2>二、各单位评价情况（附件4）</h2>
<table><tr><th>序号</th><th>单位</th>{head}</tr>{units}</table>
<h2>三、通报：排名末位单位</h2>
<table><tr><th>名次</th><th>单位</th><th>差评整改率</th><th>好评率</th><th>差评</th></tr>{bottom_rows}</table>
<h2>四、未办结差评</h2><table><tr><th>单位</th><th>未办结差评</th></tr>{open_rows}</table>
<h2>五、差评热点</h2><table><tr><th>维度</th><th>对象</th><th>差评数</th></tr>{hot}</table>
</body></html>"""


def render(data: dict) -> bytes | None:
    """Return the PDF, or None when WeasyPrint (or its pango) is not installed."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError):
        return None
    return HTML(string=html(data)).write_pdf()
