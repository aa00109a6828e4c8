"""One Vega-Lite comparison chart per response, from catalog data only; :func:`render_svg` (from :mod:`core.vegalite`) draws it."""

from __future__ import annotations

from typing import Any

from core.vegalite import SCHEMA, render_svg
from knowledge.catalog import Product

__all__ = ["comparison_chart", "render_svg"]


def _dimensions(product: Product, scenario: str) -> list[tuple[str, float]]:
    """(label with unit, value) pairs the conversation is about."""
    price = (f"价格区间中位（{product.price_band.unit}）", round(product.price_band.middle, 2))
    warranty = ("质保（月）", float(product.warranty_months))
    delivery = ("交期（天）", float(product.delivery_days))
    metrics = [(f"{m.label}（{m.unit}）", m.value) for m in product.metrics]
    by_scenario = {
        "price": [price, warranty, delivery],
        "delivery": [delivery, warranty, price],
        "after_sales": [warranty, delivery, *metrics[:1]],
        "contract": [warranty, delivery, price],
    }
    return by_scenario.get(scenario, [*metrics, warranty])


def comparison_chart(ours: Product, rival: Product, scenario: str) -> dict[str, Any]:
    """A faceted bar chart, one panel per dimension (each with its own scale)."""
    rows = [
        {"dimension": label, "product": product.name, "value": value}
        for product in (ours, rival)
        for label, value in _dimensions(product, scenario)
    ]
    return {
        "$schema": SCHEMA,
        "title": {"text": f"{ours.name} 与 {rival.name} 对比", "subtitle": f"数据来源：{ours.source}；{rival.source}"},
        "data": {"values": rows},
        "facet": {"column": {"field": "dimension", "type": "nominal", "title": None}},
        "spec": {
            "width": 110,
            "height": 160,
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "x": {"field": "product", "type": "nominal", "axis": {"title": None, "labels": False}},
                "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {"field": "product", "type": "nominal", "legend": {"orient": "bottom", "title": None}},
            },
        },
        "resolve": {"scale": {"y": "independent"}},
    }
