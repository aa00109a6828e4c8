"""The analyzer (Presidio, our registry, the LAC engine) and the desensitizer on top of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex as re
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry

from core.desensitized import DesensitizedText
from knowledge.desensitize.checks import NORMALIZERS
from knowledge.desensitize.config import NameData, RecognizerConfig, RecognizerSet
from knowledge.desensitize.folding import fold
from knowledge.desensitize.lac_engine import LANGUAGES, LacNlpEngine
from knowledge.desensitize.pseudonyms import Desensitized, Entity, Pseudonyms, fingerprint
from knowledge.desensitize.recognizers import (
    FLAGS,
    VERIFIED_KEY,
    ConfiguredPatternRecognizer,
    EnglishGivenNameRecognizer,
    LacPersonRecognizer,
    StreetAddressRecognizer,
    SurnameTitleRecognizer,
)

_CJK = re.compile(r"[\u3400-\u9fff]")

_FACTORIES: dict[str, Callable[[RecognizerConfig, NameData, str], EntityRecognizer]] = {
    "pattern": lambda config, _names, language: ConfiguredPatternRecognizer(config, language),
    "lac_person": LacPersonRecognizer,
    "surname_title": SurnameTitleRecognizer,
    "english_given_name": EnglishGivenNameRecognizer,
    "street_address": lambda config, _names, language: StreetAddressRecognizer(config, language),
}


def build_analyzer(recognizers: RecognizerSet, names: NameData, nlp_engine: LacNlpEngine) -> AnalyzerEngine:
    """An AnalyzerEngine with only our recognizers, for zh and en, on the given NLP engine."""
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES), global_regex_flags=FLAGS)
    for language in LANGUAGES:
        for config in recognizers.recognizers:
            if config.enabled:
                registry.add_recognizer(_FACTORIES[config.kind](config, names, language))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=list(LANGUAGES),
        default_score_threshold=recognizers.score_threshold,
    )


@dataclass(frozen=True)
class Detection:
    type: str
    start: int
    end: int
    score: float
    verified: bool = True  # False: masked after an explicit cue though no checksum vouches for it


def _merge_same_type(detections: list[Detection]) -> list[Detection]:
    merged: list[Detection] = []
    for detection in sorted(detections, key=lambda d: (d.type, d.start)):
        last = merged[-1] if merged else None
        if last and last.type == detection.type and detection.start < last.end:
            merged[-1] = Detection(
                last.type, last.start, max(last.end, detection.end), max(last.score, detection.score), last.verified or detection.verified
            )
        else:
            merged.append(detection)
    return merged


# Grouped numbers that may be the middle of a card: 6222 [0212 3456] 7890 123 read as a landline.
# A mobile or an ID is self-delimited: the groups beside it are other figures (a price, a count).
_NUMBERS = frozenset({"CN_LANDLINE", "CN_BANK_CARD"})
_GROUP_BEFORE = re.compile(r"\d{3,}(?:\s{1,2}|-)$")
_GROUP_AFTER = re.compile(r"^(?:\s{1,2}|-)\d{3,}")
_CARD_DIGITS = range(16, 20)


def _whole_number(text: str, detection: Detection, taken: bytearray) -> Detection:
    """``detection`` grown over the digit groups around it when the whole run has a card's
    length (6222 0212 3456 7890 123 is one number, never a landline with its outer groups
    left readable), typed as an unverified card; otherwise as it was."""
    if detection.type not in _NUMBERS or not re.search(r"\d(?:\s{1,2}|-)\d", text[detection.start : detection.end]):
        return detection
    start, end = detection.start, detection.end
    while (before := _GROUP_BEFORE.search(text[max(0, start - 12) : start])) and not any(taken[start - len(before.group()) : start]):
        start -= len(before.group())
    while (after := _GROUP_AFTER.match(text[end : end + 12])) and not any(taken[end : end + len(after.group())]):
        end += len(after.group())
    if (start, end) == (detection.start, detection.end) or sum(c.isdigit() for c in text[start:end]) not in _CARD_DIGITS:
        return detection
    return Detection("CN_BANK_CARD", start, end, detection.score, detection.verified and detection.type == "CN_BANK_CARD")


class Desensitizer:
    """Finds PII and replaces it with conversation-consistent placeholders."""

    def __init__(
        self, analyzer: AnalyzerEngine, recognizers: RecognizerSet, names: NameData, secret: str, allow: frozenset[str] = frozenset()
    ) -> None:
        self._analyzer = analyzer
        self._secret = secret
        self._allow = allow  # business names (our products, competitors) that are never personal data
        self._bare_surnames = frozenset(names.surnames)
        self._normalizers = {
            config.entity: NORMALIZERS[config.normalizer] for config in recognizers.recognizers if config.enabled
        }

    def detect(self, text: str) -> list[Detection]:
        """Non-overlapping detections in reading order, with offsets into ``text``.

        Detection runs on the folded text (full-width to ASCII, no zero-width
        characters). Overlapping detections of one type merge into their union
        (上官 and 婉清 make 上官婉清); between types the higher score wins, then
        the longer span.
        """
        folded = fold(text)
        language = "zh" if _CJK.search(folded.text) else "en"
        found = []
        for result in self._analyzer.analyze(text=folded.text, language=language):
            if folded.text[result.start : result.end] in self._allow:
                continue
            start, end = folded.original_span(result.start, result.end)
            verified = result.recognition_metadata.get(VERIFIED_KEY, True) if result.recognition_metadata else True
            found.append(Detection(result.entity_type, start, end, result.score, verified))
        ranked = sorted(_merge_same_type(found), key=lambda d: (-d.score, -(d.end - d.start), d.start))
        taken = bytearray(len(text))
        kept: list[Detection] = []
        for detection in ranked:
            if not any(taken[detection.start : detection.end]):
                taken[detection.start : detection.end] = b"\x01" * (detection.end - detection.start)
                kept.append(detection)
        whole = []
        for detection in kept:
            grown = _whole_number(text, detection, taken)
            taken[grown.start : grown.end] = b"\x01" * (grown.end - grown.start)
            whole.append(grown)
        return sorted(whole, key=lambda d: d.start)

    def fingerprints_for(self, value: str) -> list[str]:
        """Every fingerprint a stored record could carry for ``value`` (a data subject's
        phone, ID, name …), however it was written: the value normalized by each rule."""
        folded = fold(value).text
        return list(dict.fromkeys(fingerprint(normalize(folded), self._secret) for normalize in self._normalizers.values()))

    def desensitize(self, text: str, pseudonyms: Pseudonyms | None = None) -> Desensitized:
        """Replace every detected value; pass the conversation's ``pseudonyms`` to keep placeholders stable."""
        pseudonyms = pseudonyms or Pseudonyms()
        pieces, entities, prints = [], [], []
        cursor = 0
        for detection in self.detect(text):
            original = text[detection.start : detection.end]
            normalized = self._normalizers[detection.type](fold(original).text)
            placeholder = pseudonyms.placeholder(detection.type, normalized, original)
            pieces += [text[cursor : detection.start], placeholder]
            entities.append(Entity(detection.type, detection.start, detection.end, placeholder, detection.verified))
            if not (detection.type == "PERSON" and normalized in self._bare_surnames):
                # a bare surname (王 of 王总) would match every 王: no erasure fingerprint
                prints.append(fingerprint(normalized, self._secret))
            cursor = detection.end
        pieces.append(text[cursor:])
        return Desensitized(DesensitizedText("".join(pieces)), tuple(entities), tuple(dict.fromkeys(prints)))
