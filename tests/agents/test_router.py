"""Scenario routing, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.registry import get_registry
from agents.router import UNSURE, classify, cue_odds, cue_scores, intents_of, scenario_odds
from agents.scenario_model import load_scenario_model
from core.errors import ConfigError
from knowledge.catalog import load_catalog
from knowledge.taxonomy import FIXED_KEYS, Scenario, Taxonomy, load_taxonomy

CASES = [
    (["你们这个价格太贵了，预算只有38万"], "price"),
    (["衡川的HC-75比你们便宜不少"], "competitor"),
    (["别家报的方案和你们差不多"], "competitor"),
    (["合同里违约金这条我们法务不同意"], "contract"),
    (["我们再考虑考虑，等领导回来再说"], "stall"),
    (["多久能到货？安装要几天"], "delivery"),
    (["设备坏了，工程师什么时候能上门"], "after_sales"),
    (["我们要走招标流程，资质文件发一下"], "procurement"),
    (["你好，在吗"], "other"),
    (["价格太贵了", "那交期呢？多久能到货"], "delivery"),  # the latest turn weighs most
    (["太贵了，衡川便宜好几万"], "competitor"),  # naming a competitor outweighs a price cue
    (["能不能保证回本？多久能回本"], "price"),
]


@pytest.mark.parametrize(("turns", "scenario"), CASES, ids=[c[0][-1][:10] for c in CASES])
def test_when_a_customer_speaks_then_the_scenario_follows(turns: list[str], scenario: str) -> None:
    assert classify(turns, load_catalog()) == scenario


def test_when_the_taxonomy_loads_then_the_fixed_keys_are_there() -> None:
    assert set(FIXED_KEYS) <= {s.key for s in load_taxonomy().scenarios}


def test_when_agents_are_registered_then_each_scenario_has_one() -> None:
    registry = get_registry()
    assert registry.names == ["competitor_response", "contract_risk", "script_suggestion"]
    for key in FIXED_KEYS:
        assert registry.for_scenario(key), key


def test_when_the_classifier_is_unsure_and_nothing_is_cued_then_other_leads_alone() -> None:
    model = load_scenario_model()
    guess = model.probabilities("就这样", [0.0] * len(model.cue_keys))
    assert next(iter(guess)) != "other" and next(iter(guess.values())) < UNSURE  # the guess it would have made
    assert intents_of(scenario_odds(["就这样"], load_catalog())) == ("other",)  # and no second intent rides along


def test_when_the_model_file_is_broken_then_a_config_error_names_the_fix(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="train-router"):
        load_scenario_model(broken)


def test_when_a_manager_adds_a_scenario_then_its_cues_can_win() -> None:
    base = load_taxonomy()
    grown = Taxonomy(scenarios=(*base.scenarios, Scenario(key="renewal", label="续约", cues=("续约", "续费"))))
    assert classify(["明年续约的事想先聊聊"], load_catalog(), grown) == "renewal"
    assert classify(["明年续约的事想先聊聊"], load_catalog(), base) != "renewal"


def test_when_no_classifier_was_fitted_then_the_cues_decide(tmp_path: Path) -> None:
    assert load_scenario_model(tmp_path / "none.npz") is None
    catalog, taxonomy = load_catalog(), load_taxonomy()
    assert next(iter(cue_odds(cue_scores(["合同里违约金这条我们法务不同意"], catalog, taxonomy), taxonomy))) == "contract"
    assert cue_odds(cue_scores(["你好"], catalog, taxonomy), taxonomy) == {"other": 1.0}


def test_when_the_model_is_saved_and_loaded_then_it_answers_the_same(tmp_path: Path) -> None:
    shipped = load_scenario_model()
    assert shipped is not None, "agents/scenario_model.npz must ship (zhice eval train-router)"
    shipped.save(tmp_path / "copy.npz")
    copy = load_scenario_model(tmp_path / "copy.npz")
    scores = [0.0] * len(shipped.cue_keys)
    for text in ("太贵了，能便宜点吗", "设备坏了什么时候来修"):
        expected, got = shipped.probabilities(text, scores), copy.probabilities(text, scores)
        assert list(got) == list(expected)
        assert all(abs(got[key] - expected[key]) < 1e-5 for key in expected)


def test_when_a_turn_carries_two_intents_then_both_are_kept_and_a_single_one_stays_alone() -> None:
    catalog = load_catalog()
    assert set(intents_of(scenario_odds(["衡川报价便宜两万", "你们交期多久"], catalog))) >= {"competitor", "price"}
    assert intents_of(scenario_odds(["设备坏了 工程师什么时候来"], catalog)) == ("after_sales",)


def test_when_probabilities_are_computed_sparsely_then_they_match_scikit_learn() -> None:
    """The numpy inference (only the n-grams present) gives what the fitted estimator gives."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from agents.text_model import NGRAMS, TextModel

    texts = ["太贵了能便宜点吗", "什么时候到货", "合同违约金太高", "设备坏了来修", "价格再让一点", "交期能提前吗"]
    labels = ["price", "delivery", "contract", "after_sales", "price", "delivery"]
    model = TextModel.fit(texts, labels, fitted_on="test")
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True).fit(texts)
    reference = LogisticRegression(C=30.0, max_iter=5000).fit(vectorizer.transform(texts), labels)
    for text in ("便宜点吧", "违约金能不能降"):
        expected = dict(zip(reference.classes_, reference.predict_proba(vectorizer.transform([text]))[0], strict=True))
        got = model.shares(text)
        assert all(abs(got[label] - expected[label]) < 1e-6 for label in expected)
