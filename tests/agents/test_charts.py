"""Charts: valid Vega-Lite built from the catalog only, rendered to SVG offline."""

from __future__ import annotations

import json
from pathlib import Path

import altair
import jsonschema
import pytest

from agents.charts import comparison_chart, render_svg
from knowledge.catalog import load_catalog

SCHEMA = json.loads((Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("scenario", ["price", "competitor", "delivery", "after_sales", "contract", "other"])
def test_when_a_chart_is_built_then_it_validates_against_the_vega_lite_schema(scenario: str) -> None:
    catalog = load_catalog()
    spec = comparison_chart(catalog.get("qf-75"), catalog.get("hc-75"), scenario)
    jsonschema.validate(spec, SCHEMA)
    values = {(row["product"], row["dimension"]): row["value"] for row in spec["data"]["values"]}
    assert {product for product, _ in values} == {"擎风 QF-75 变频螺杆空压机", "衡川 HC-75 空压机"}
    if scenario == "price":
        assert values[("衡川 HC-75 空压机", "质保（月）")] == catalog.get("hc-75").warranty_months


def test_when_a_chart_is_rendered_then_svg_comes_back() -> None:
    catalog = load_catalog()
    svg = render_svg(comparison_chart(catalog.get("yc-crm"), catalog.get("br-crm"), "competitor"))
    assert svg.startswith("<svg") and "</svg>" in svg


def test_when_the_catalog_loads_then_every_industry_has_ours_and_a_competitor() -> None:
    catalog = load_catalog()
    industries = {p.industry for p in catalog.products}
    assert len(industries) >= 4 and len(catalog.ours()) >= 4 and len(catalog.competitors()) >= 4
    for industry in industries:
        assert catalog.ours(industry) and catalog.competitors(industry)
        assert len({tuple(m.key for m in p.metrics) for p in catalog.products if p.industry == industry}) == 1
    assert all("虚构" in p.source for p in catalog.products)
