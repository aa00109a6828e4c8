"""Fitting the scenario classifier (`zhice eval train-router`): its examples and the fit itself."""

from __future__ import annotations

from agents.router import classify
from evals.router import case_examples, cue_keys, pool_examples, short_turn_examples, train
from evals.suggest import CaseCustomer, CaseMessage, SuggestCase
from knowledge.catalog import load_catalog
from knowledge.desensitize import get_desensitizer
from knowledge.taxonomy import load_taxonomy

SECRET = "test-secret-that-is-long-enough-for-hmac-0123456789"


def _case(text: str, scenario: str) -> SuggestCase:
    return SuggestCase(
        id="t1", split="dev", customer=CaseCustomer(id="C1", industry=None, attributes={}), product_line=None,
        messages=(CaseMessage(role="rep", text="您好"), CaseMessage(role="customer", text=text)),
        scenarios=(scenario,), rival=None, chart_expected=False, grounded_specifics=(), must_not=(), good_moves=(),
    )


def test_when_a_case_becomes_an_example_then_its_text_is_desensitized_and_its_cues_are_counted() -> None:
    catalog, taxonomy = load_catalog(), load_taxonomy()
    [example] = case_examples([_case("太贵了，打我手机13800138000聊", "price")], get_desensitizer(SECRET), catalog, taxonomy)
    assert "13800138000" not in example.text
    assert example.scenario == "price" and len(example.cue_scores) == len(cue_keys(taxonomy))
    assert example.cue_scores[cue_keys(taxonomy).index("price")] > 0


def test_when_the_classifier_is_fitted_on_the_pool_then_it_routes_plain_asks() -> None:
    catalog, taxonomy = load_catalog(), load_taxonomy()
    labelled = pool_examples(catalog, taxonomy) + short_turn_examples(catalog, taxonomy)
    model = train(labelled, [], taxonomy, "test")
    assert set(model.classes) == set(taxonomy.keys)
    assert f"{len(labelled)} labelled snippets" in model.fitted_on
    assert classify(["你们这个价格太贵了，能不能再便宜点"], catalog, taxonomy, model=model) == "price"
    assert classify(["设备坏了，工程师什么时候能上门"], catalog, taxonomy, model=model) == "after_sales"
