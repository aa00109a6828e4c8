"""Vega-Lite on any floor: the schema every spec declares, and offline SVG rendering."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
VEGA_LITE_VERSION = "6.4"


def render_svg(spec: dict[str, Any]) -> str:
    """SVG, offline (vl-convert bundles Vega and Vega-Lite)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION)
