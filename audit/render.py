"""The review as CSV rows or as one self-contained HTML page (charts as inline SVG)."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from core.vegalite import SCHEMA, render_svg

GROUPS = ("by_agent", "by_scenario", "by_rep", "by_prompt_version", "by_week")
COLUMNS = ("shown", "adopted", "edited", "rejected", "ignored", "none", "adoption_rate", "correction_rate", "adoption_to_correction_ratio", "target_met")
GROUP_TITLES = {"by_agent": "按智能体", "by_scenario": "按场景", "by_rep": "按销售", "by_prompt_version": "按提示词版本", "by_week": "按周"}


def to_csv(report: dict[str, Any]) -> str:
    """One row per figure: section, group, metric, value (the trust flag first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "group", "metric", "value"])
    writer.writerow(["ledger", "", "trusted", report["trusted"]])
    writer.writerow(["period", "", "label", report["period"]["label"]])
    for metric in COLUMNS:
        writer.writerow(["totals", "", metric, report["totals"][metric]])
    for section in GROUPS:
        for group, block in report[section].items():
            for metric in COLUMNS:
                writer.writerow([section, group, metric, block[metric]])
    for agent, block in report["calibration"].items():
        writer.writerow(["calibration", agent, "ece", block["ece"]])
        if block["recommended"]:
            writer.writerow(["calibration", agent, "recommended_threshold", block["recommended"]["threshold"]])
            writer.writerow(["calibration", agent, "suppressed_share", block["recommended"]["suppressed_share"]])
    for kind, rows in report["deviations"].items():
        writer.writerow(["deviations", kind, "count", len(rows)])
    return out.getvalue()


def _chart(title: str, values: list[dict[str, Any]], encoding: dict[str, Any], mark: str = "bar") -> str:
    if not values:
        return ""
    spec = {"$schema": SCHEMA, "title": title, "width": 420, "height": 180, "data": {"values": values}, "mark": {"type": mark, "point": mark == "line"}, "encoding": encoding}
    return render_svg(spec)


def _charts(report: dict[str, Any]) -> list[str]:
    weekly = [
        {"week": week, "measure": label, "value": block[key]}
        for week, block in report["by_week"].items()
        for key, label in (("adoption_rate", "采纳率"), ("correction_rate", "纠正率"))
        if block[key] is not None
    ]
    by_agent = [
        {"agent": agent, "action": action, "count": block[action]}
        for agent, block in report["by_agent"].items()
        for action in ("adopted", "edited", "rejected", "ignored", "none")
    ]
    reliability = [
        {"agent": agent, "confidence": row["mean_confidence"], "adoption": row["adoption"], "n": row["n"]}
        for agent, block in report["calibration"].items()
        for row in block["bins"]
    ]
    return [
        _chart("每周采纳率与纠正率", weekly, {"x": {"field": "week", "type": "ordinal", "title": None}, "y": {"field": "value", "type": "quantitative", "title": None, "axis": {"format": "%"}}, "color": {"field": "measure", "type": "nominal", "title": None}}, "line"),
        _chart("各智能体的销售操作", by_agent, {"x": {"field": "agent", "type": "nominal", "title": None}, "y": {"field": "count", "type": "quantitative", "stack": "normalize", "title": None}, "color": {"field": "action", "type": "nominal", "title": None}}),
        _chart("置信度校准（点越靠近对角线越好）", reliability, {"x": {"field": "confidence", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "平均置信度"}, "y": {"field": "adoption", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "采纳率"}, "color": {"field": "agent", "type": "nominal", "title": None}, "size": {"field": "n", "type": "quantitative", "title": "样本数"}}, "point"),
    ]


def _table(title: str, blocks: dict[str, dict[str, Any]]) -> str:
    if not blocks:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("", *COLUMNS))
    rows = "".join(
        "<tr><th>" + html.escape(name) + "</th>" + "".join(f"<td>{html.escape(_fmt(block[c], c))}</td>" for c in COLUMNS) + "</tr>"
        for name, block in blocks.items()
    )
    return f"<h2>{html.escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _fmt(value: Any, column: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if column.endswith("_rate"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child{text-align:left}.banner{padding:1rem;border:3px solid #b00;background:#fee;color:#800;font-weight:bold}
.ok{padding:.5rem 1rem;border:1px solid #2a7;background:#efe}.untrusted td{color:#999}
.figures{display:flex;gap:2rem}.figure b{font-size:1.6rem;display:block}section{page-break-inside:avoid}
@media print{body{margin:0}.charts svg{max-width:100%}}
"""


def to_html(report: dict[str, Any]) -> str:
    """A self-contained page: verification status first, key figures, charts, tables, deviations."""
    period = report["period"]
    banner = (
        f'<p class="banner">账本校验失败：{html.escape(report["ledger_problem"] or "")}。以下所有数字均不可信，请先排查账本。</p>'
        if not report["trusted"]
        else '<p class="ok">账本校验通过：以下数字均取自未被篡改的审计账本。</p>'
    )
    totals = report["totals"]
    ratio = totals["adoption_to_correction_ratio"]
    figures = "".join(
        f'<div class="figure"><b>{html.escape(value)}</b>{html.escape(label)}</div>'
        for label, value in (
            ("展示的建议", str(totals["shown"])),
            ("采纳率", _fmt(totals["adoption_rate"], "adoption_rate")),
            ("纠正率", _fmt(totals["correction_rate"], "correction_rate")),
            (f"采纳 : 纠正（目标 ≥ {report['target_ratio']:g} : 1）", f"{ratio:.2f} : 1" if ratio is not None else "无纠正"),
        )
    )
    tables = "".join(_table(GROUP_TITLES[section], report[section]) for section in GROUPS)
    deviations = "".join(
        f"<h3>{html.escape(kind)}（{len(rows)}）</h3><ul>"
        + "".join(f"<li>{html.escape(str(row))}</li>" for row in rows[:50])
        + "</ul>"
        for kind, rows in report["deviations"].items()
    )
    calibration = "".join(
        f"<li>{html.escape(agent)}：ECE {_fmt(block['ece'])}；建议阈值 "
        + (f"{block['recommended']['threshold']:.2f}（将少展示 {block['recommended']['suppressed_share']:.1%}）" if block["recommended"] else "样本不足或达不到目标")
        + "</li>"
        for agent, block in report["calibration"].items()
    )
    charts = "".join(f"<section class=charts>{svg}</section>" for svg in _charts(report))
    compliance = "".join(
        f"<h3>{title}</h3><ul>" + ("".join(f"<li>{html.escape(key)}：{count} 次</li>" for key, count in report[section].items()) or "<li>无</li>") + "</ul>"
        for title, section in (("按规则", "compliance_interventions"), ("按法条", "compliance_interventions_by_anchor"))
    )
    reasons = "".join(f"<li>{html.escape(key)}：{count} 次</li>" for key, count in report["rejection_reasons"].items()) or "<li>无</li>"
    css_class = "" if report["trusted"] else ' class="untrusted"'
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>智策 人机协作季度复盘 {html.escape(period["label"])}</title><style>{STYLE}</style></head>
<body{css_class}><h1>智策 人机协作季度复盘 · {html.escape(period["label"])}</h1>
<p>{html.escape(period["first_day"])} 至 {html.escape(period["last_day"])}（{html.escape(period["time_zone"])}）</p>
{banner}<div class="figures">{figures}</div>{charts}
<h2>置信度校准</h2><ul>{calibration}</ul>{tables}<h2>不采用的原因</h2><ul>{reasons}</ul><h2>合规干预（守卫修改或拦下的草稿）</h2>{compliance}<h2>偏差清单</h2>{deviations}
</body></html>"""
