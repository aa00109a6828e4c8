"""Chinese recognizers built from recognizers.yaml and names.yaml.

Pattern recognizers come straight from the YAML. Three kinds need code: names
from LAC, the surname + title rule, and street addresses (whose start is found
by walking back from "…路88号" to a boundary such as 区 or 在).
"""

from __future__ import annotations

from collections.abc import Iterator

import regex as re
from presidio_analyzer import LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from knowledge.desensitize.checks import VALIDATORS
from knowledge.desensitize.config import NameData, RecognizerConfig

FLAGS = re.DOTALL | re.MULTILINE  # case-sensitive; the YAML uses (?i:…) where needed
_CJK = r"\u3400-\u9fff"


def _result(config: RecognizerConfig, recognizer: LocalRecognizer, start: int, end: int) -> RecognizerResult:
    return RecognizerResult(
        entity_type=config.entity,
        start=start,
        end=end,
        score=config.score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


VERIFIED_KEY = "verified"  # recognition metadata: False when masked after a cue without a checksum


class ConfiguredPatternRecognizer(PatternRecognizer):
    """Patterns from YAML; an optional checksum validator drops matches that fail it. A
    recognizer configured ``verified: false`` marks what it finds as unverified."""

    def __init__(self, config: RecognizerConfig, language: str) -> None:
        super().__init__(
            supported_entity=config.entity,
            name=config.name,
            supported_language=language,
            patterns=[Pattern(p.name, p.regex, p.score) for p in config.patterns],
            context=list(config.context),
            global_regex_flags=FLAGS,
        )
        self._validate = VALIDATORS.get(config.validator) if config.validator else None
        self._exclude_after = config.exclude_after
        self._verified = config.verified

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, regex_flags: int | None = None) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if not self._verified:
            for result in results:
                result.recognition_metadata[VERIFIED_KEY] = False
        if not self._exclude_after:
            return results
        return [r for r in results if not any(word in text[max(0, r.start - 8) : r.start] for word in self._exclude_after)]

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the configured score (Presidio would raise a True to 1.0).
        if self._validate is None or self._validate(pattern_text):
            return None
        return False


class NameTrimmer:
    """Keeps forms of address outside a name: 王总 → 王, 老周 → 周, 李娜经理 → 李娜."""

    def __init__(self, names: NameData) -> None:
        self._titles = names.titles
        self._prefixes = names.prefixes
        self._surnames = frozenset(names.surnames)
        self._not_names = frozenset(names.not_names)
        self._title_words = tuple(names.title_words)

    def trim(self, word: str) -> tuple[int, int] | None:
        """Offsets of the name inside ``word``, or None when it is not a name.

        The name ends where the first title starts (LAC may tag 王总好 as one
        person), and a familiar prefix before a surname is dropped.
        """
        if word in self._not_names:
            return None
        start = 1 if len(word) > 1 and word[0] in self._prefixes and word[1] in self._surnames else 0
        cuts = [(at, title) for title in self._titles if (at := word.find(title, start + 1)) > start]
        if not cuts:
            return (start, len(word)) if len(word) > start else None
        end, _title = min(cuts)
        # LAC's 王总好 and 陆总问 are names; its 周总结 and 金总额 are words that happen to hold 总
        if word[end:].startswith(self._title_words):
            return None
        return (start, end)


_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")


class LacPersonRecognizer(LocalRecognizer):
    """PERSON from the PER entities the LAC NLP engine put into the artifacts."""

    def __init__(self, config: RecognizerConfig, names: NameData, language: str) -> None:
        self._config = config
        self._trimmer = NameTrimmer(names)
        self._blockers = tuple(names.name_blockers)
        self._surnames = frozenset(name for name in names.surnames if len(name) == 1)
        self._compounds = frozenset(names.compound_surnames)
        self._tails = tuple(names.name_tails)
        self._followers = frozenset(names.name_followers) | {title[0] for title in names.titles}
        super().__init__(supported_entities=[config.entity], name=config.name, supported_language=language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        results = []
        previous_end = -1  # where the last PER ended: names in a row follow one another
        for entity in nlp_artifacts.entities if nlp_artifacts else []:
            if entity.label_ != "PER" or not re.search(f"[{_CJK}]", entity.text):
                continue
            in_a_row, previous_end = entity.start_char == previous_end, entity.end_char
            start = entity.start_char
            if text[max(0, start - 2) : start + 1].endswith(self._blockers):
                continue  # 上周发的: LAC read 周发 as a name
            trimmed = self._trimmer.trim(entity.text)
            # A lone character is a name only with a title or prefix around it (王总, 老周);
            # on its own LAC also tags province abbreviations such as 粤 in a plate.
            if not trimmed or (trimmed[1] - trimmed[0] == 1 and len(entity.text) == 1):
                continue
            begin, end = start + trimmed[0], start + trimmed[1]
            if _NUMERAL.fullmatch(text[begin:end]):
                continue  # 六千五这个价: LAC read a spoken price as a name
            while begin < end and not text[begin].isalpha():  # LAC may glue an emoji to a name
                begin += 1
            while end > begin and not text[end - 1].isalpha():
                end -= 1
            if begin == end:
                continue
            # LAC sometimes leaves a rare surname outside (仝|雨桐): take it back in
            if trimmed[0] == 0 and begin > 0 and text[begin - 1] in self._surnames and entity.text[0] not in self._surnames:
                begin -= 1
            results.extend(_result(self._config, self, *span) for span in self._people(text, begin, end, in_a_row))
        return results

    def _people(self, text: str, begin: int, end: int, in_a_row: bool) -> list[tuple[int, int]]:
        """The names in one LAC span: names in a row (张伟李娜王五) come as one PER, or, right
        after another name, cut across (张伟|李娜王|五); a time word may cling to the last
        (王五明天). Alone, 李文江 stays one name."""
        name = text[begin:end]
        tail = next((t for t in self._tails if name.endswith(t) and len(name) - len(t) >= 2), "")
        end -= len(tail)
        name = text[begin:end]
        if name[:2] in self._compounds or name[0] not in self._surnames:
            return [(begin, end)]
        if len(name) == 4 and name[2] in self._surnames:
            return [(begin, begin + 2), (begin + 2, end)]
        following = text[end : end + 1]
        if in_a_row and len(name) == 3 and name[2] in self._surnames and not tail and re.match(f"[{_CJK}]", following) and following not in self._followers:
            return [(begin, begin + 2), (begin + 2, end + 1)]
        return [(begin, end)]


class SurnameTitleRecognizer(LocalRecognizer):
    """PERSON from a surname with a title (王总, 欧阳经理), a familiar prefix (老周, 小刘),
    a stated surname (我姓岑), a compound surname with its given name (上官婉清), or a full
    name after a field label (收件人：覃海洋，).

    A match must start where a LAC word starts, and with a one-character
    title end where one ends, so 浙江总部 does not yield 江总, nor 施工队 施工.
    """

    def __init__(self, config: RecognizerConfig, names: NameData, language: str) -> None:
        self._config = config
        surnames = "|".join(sorted(names.surnames, key=len, reverse=True))
        titles = "|".join(sorted(names.titles, key=len, reverse=True))
        prefixes = "".join(names.prefixes)
        self._titled = re.compile(f"(?P<prefix>[{prefixes}])?(?P<name>{surnames})(?P<title>{titles})")
        self._familiar = re.compile(f"(?P<prefix>[{prefixes}])(?P<name>{surnames})(?![{_CJK}])")
        self._familiar_word = re.compile(f"[{prefixes}](?:{surnames})")
        # 我姓岑 / 免贵姓王: a surname stated as such
        self._stated = re.compile(f"(?<=姓)(?P<name>{surnames})")
        cues = "|".join(sorted(names.name_cues, key=len, reverse=True))
        # 收件人：覃海洋， / 联系人 王建国 (end): a full name written into a field
        self._cued = re.compile(f"(?<=(?:{cues})(?:[:：]\\s?|\\s))(?P<name>(?:{surnames})[{_CJK}]{{1,2}})(?=[^{_CJK}]|$)")
        compound = "|".join(names.compound_surnames)
        self._compound_full = re.compile(f"(?P<name>(?:{compound})[{_CJK}]{{1,2}}?)(?=[^{_CJK}]|$|(?:{titles}))")
        self._not_names = frozenset(names.not_names)
        # after an introducer, or right after another titled name (王总张总你们好)
        self._introducers = tuple(names.introducers) + tuple(names.titles)
        self._titles = tuple(names.titles)
        self._tails = tuple(names.name_tails)  # 对接人：周一到 is a day, not 周一
        super().__init__(supported_entities=[config.entity], name=config.name, supported_language=language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        tokens = nlp_artifacts.tokens if nlp_artifacts and nlp_artifacts.tokens else []
        starts = set(nlp_artifacts.tokens_indices) if tokens else None
        ends = {start + len(token) for start, token in zip(nlp_artifacts.tokens_indices, tokens, strict=True)} if tokens else None
        words = set(tokens)
        results = []
        titled = [m for m in self._titled.finditer(text) if m.group(0) not in self._not_names]
        chained = {m.start() for m in titled}  # 王总张总: LAC makes one word of two titled names
        for match in titled:
            # one-character titles (工, 总) also start words (施工队), so they must end a word
            whole = len(match.group("title")) > 1 or match.end() in ends or match.end() in chained
            introduced = match.start() == 0 or text[: match.start()].endswith(self._introducers) or not re.match(f"[{_CJK}]", text[match.start() - 1])
            if starts is None or ((match.start() in starts or introduced) and whole):
                results.append(_result(self._config, self, *match.span("name")))
        for match in self._familiar.finditer(text):
            if match.group(0) not in self._not_names:
                results.append(_result(self._config, self, *match.span("name")))
        for pattern in (self._stated, self._compound_full):
            results.extend(_result(self._config, self, *m.span("name")) for m in pattern.finditer(text))
        for match in self._cued.finditer(text):  # 联系人：王总 is a title, left to the titled rule
            name = match.group("name")
            if name not in self._not_names and not name[1:].startswith(self._titles) and not name.startswith(self._tails):
                results.append(_result(self._config, self, *match.span("name")))
        for word in words - self._not_names:  # 老周说 is one LAC word 老周 followed by 说
            if self._familiar_word.fullmatch(word):
                results.extend(
                    _result(self._config, self, m.start() + 1, m.end())
                    for m in re.finditer(re.escape(word), text)
                )
        return results


# One pinyin syllable (initial + final); a given name is one or two of them, which
# keeps title-case English (Long Term, Fan Speed) from passing for Li Wei.
_PINYIN_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|ve|er|a|o|e|i|u|v)"
)


class EnglishGivenNameRecognizer(PatternRecognizer):
    """PERSON from a common English given name with the capitalized surname after it if any
    (Kevin, Emily Chen), or from a pinyin or Cantonese surname with a given name (Li Wei, Chan Tai Man)."""

    def __init__(self, config: RecognizerConfig, names: NameData, language: str) -> None:
        given = "|".join(sorted(set(names.english_given_names), key=len, reverse=True))
        pinyin = "|".join(sorted(set(names.pinyin_surnames), key=len, reverse=True))
        given_first = rf"(?<![A-Za-z])(?:{given})(?:\s(?!(?:{given})(?![a-z]))[A-Z][a-zà-öø-ÿ]{{1,20}})?(?![A-Za-zà-öø-ÿ])"
        syllables = rf"(?i:{_PINYIN_SYLLABLE}){{1,2}}"
        pinyin_first = rf"(?<![A-Za-z])(?:{pinyin})\s(?=[A-Z][a-z])(?:{syllables})(?:-(?:{syllables}))?(?![A-Za-z])"
        cantonese = "|".join(sorted(set(names.cantonese_surnames), key=len, reverse=True))
        cantonese_first = rf"(?<![A-Za-z])(?:{cantonese})\s[A-Z][a-z]{{1,5}}(?:(?:-[a-z]|\s[A-Z])[a-z]{{1,5}})?(?![A-Za-z])"
        super().__init__(
            supported_entity=config.entity,
            name=config.name,
            supported_language=language,
            patterns=[
                Pattern("given_name", given_first, config.score),
                Pattern("pinyin_name", pinyin_first, config.score),
                Pattern("cantonese_name", cantonese_first, config.score),
            ],
            global_regex_flags=FLAGS,
        )


_BOUNDARY = set("市区县省镇在于到至往去来从是址为近靠和与及的住们，。、：:；;（(）) \t\n")
_ROAD = re.compile(
    r"(?:大道|大街|胡同|路|街|道|巷|弄)(?:[东南西北中]段|[一二三四五六七八九十]{1,2}段|\d{1,2}段)?\d{1,5}(?:(?:弄|巷|号院)\d{1,5})?(?:[-之]\d{1,5})?号"
    rf"(?:[{_CJK}A-Za-z]{{0,8}}?[A-Za-z0-9]{{1,5}}(?:号楼|号院|号厂房|号仓库|号车间|号库|号|栋|幢|座|单元|楼|层|室|房|区))*"
    rf"(?:\d{{1,5}}(?:室|房)|(?<=[座栋幢楼元])\d{{1,5}}|\d{{1,5}}(?![{_CJK}\d]))?"
)
# Homes given by their residential compound instead of a road: 幸福小区5栋1单元302室
_COMPOUND = re.compile(
    r"(?:小区|花园|公寓|家园|新村|苑|社区)(?:[A-Za-z]?\d{1,4}(?:号楼|栋|幢|座|期|号))+"
    r"(?:\d{1,3}(?:单元|门))?(?:\d{1,5}(?:室|房|号)?)?"
)
# Buildings given without a road, with a room: 万科城3栋2单元1502室, 科技园A座1208室
_BUILDING = re.compile(
    r"(?:[A-Za-z]|\d{1,4})(?:栋|幢|座|号楼)(?:\d{1,2}(?:单元|门))?(?:\d{1,2}(?:楼|层))?\d{3,5}(?:室|房|(?![\d平台件元米个套吨人天月年周次%㎡/]))"
)
_MAX_ROAD_NAME = 6


class StreetAddressRecognizer(LocalRecognizer):
    """CN_ADDRESS from a road, its number and any building/room part (张江路88号3号楼1201室,
    中山南路四段1号), from a residential compound with building and room (幸福小区5栋1单元302室),
    or from a named building with a room (科技园A座1208室)."""

    def __init__(self, config: RecognizerConfig, language: str) -> None:
        self._config = config
        super().__init__(supported_entities=[config.entity], name=config.name, supported_language=language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        return [_result(self._config, self, start, end) for start, end in self._spans(text)]

    @staticmethod
    def _spans(text: str) -> Iterator[tuple[int, int]]:
        for match in (*_ROAD.finditer(text), *_COMPOUND.finditer(text), *_BUILDING.finditer(text)):
            start = match.start()
            while start > 0 and match.start() - start < _MAX_ROAD_NAME and text[start - 1] not in _BOUNDARY:
                start -= 1
            if start < match.start():  # a road needs a name
                yield start, match.end()
