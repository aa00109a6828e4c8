"""The product catalog: our products and competitors, each fact with a source note.
Charts and competitor comparisons draw only on this data, never on free text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pypinyin import lazy_pinyin

DEMO_CATALOG = Path(__file__).parent / "demo" / "catalog.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceBand(_Data):
    min: float
    max: float
    unit: str

    @property
    def middle(self) -> float:
        return (self.min + self.max) / 2


class Metric(_Data):
    key: str
    label: str
    value: float
    unit: str
    better: Literal["higher", "lower"]
    asked_as: tuple[str, ...] = ()  # words a customer asks about it with (续航, 电池 …)


class Product(_Data):
    id: str
    name: str
    vendor: str
    ours: bool
    industry: str
    aliases: tuple[str, ...] = Field(min_length=1)
    price_band: PriceBand
    delivery_days: int
    warranty_months: int
    service_coverage: str
    metrics: tuple[Metric, ...]
    source: str
    kind: str | None = None  # what it is, without brand or model (变频螺杆空压机); default: the name's last word

    @property
    def what(self) -> str:
        return self.kind or self.name.split()[-1]


    def facts_text(self) -> str:
        """The product's facts as a reply would write them (numbers with their units)."""
        band = self.price_band
        metrics = "；".join(f"{m.label} {m.value:g} {m.unit}" for m in self.metrics)
        return (
            f"{self.name}（{'、'.join(self.aliases)}）{self.vendor}：价格 {band.min:g} {band.unit} 至 {band.max:g} {band.unit}（中位 {band.middle:g} {band.unit}）；"
            f"交期 {self.delivery_days} 天；质保 {self.warranty_months} 个月；{self.service_coverage}；{metrics}"
        )


class Catalog(_Data):
    products: tuple[Product, ...]

    def get(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)

    def ours(self, industry: str | None = None) -> list[Product]:
        return [p for p in self.products if p.ours and (industry is None or p.industry == industry)]

    def competitors(self, industry: str | None = None) -> list[Product]:
        return [p for p in self.products if not p.ours and (industry is None or p.industry == industry)]

    def mentioned(self, text: str) -> list[Product]:
        """Products named in ``text`` by name or alias, in order of first mention; a Chinese
        alias also when written with a homophone (博瑞 for 博睿, 康兰 for 康岚)."""
        found = []
        for product in self.products:
            names = (product.name, *product.aliases)
            positions = [text.find(name) for name in names if name in text] or [p for name in names if (p := _homophone_at(name, text)) >= 0]
            if positions:
                found.append((min(positions), product))
        return [product for _, product in sorted(found, key=lambda pair: pair[0])]


_HAN_NAME = re.compile(r"^\p{Han}{2,4}$")


@lru_cache(maxsize=4096)
def _sounds(text: str) -> tuple[str, ...]:
    """Each character's toneless pinyin (other characters as themselves)."""
    return tuple(lazy_pinyin(text, errors=lambda chars: list(chars)))


def _homophone_at(name: str, text: str) -> int:
    """Where ``text`` writes the Chinese ``name`` with the same first character and the same
    sounds (a typo by ear); -1 when it does not. Names that are not 2–4 Han characters never match."""
    if not _HAN_NAME.match(name) or name[0] not in text:
        return -1
    sounds, wanted = _sounds(text), _sounds(name)
    if len(sounds) != len(text):  # pinyin that does not map one to one: no guess
        return -1
    for start in range(len(text) - len(name) + 1):
        if text[start] == name[0] and sounds[start : start + len(name)] == wanted:
            return start
    return -1


@lru_cache(maxsize=4)
def load_catalog(path: Path = DEMO_CATALOG) -> Catalog:
    with path.open(encoding="utf-8") as handle:
        return Catalog.model_validate(yaml.safe_load(handle))
