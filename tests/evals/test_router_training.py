"""Fitting the scenario classifier (`zhice eval train-router`): its examples and the fit itself."""

from __future__ import annotations

import numpy as np

from agents.router import classify
from agents.scenario_model import NGRAMS, cue_features
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


def test_when_the_classifier_is_fitted_then_its_numpy_inference_matches_scikit_learn() -> None:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    catalog, taxonomy = load_catalog(), load_taxonomy()
    examples = pool_examples(catalog, taxonomy) + short_turn_examples(catalog, taxonomy)
    model = train(examples, [], taxonomy, "test")
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True)
    grams = vectorizer.fit_transform([e.text for e in examples])
    features = hstack([grams, csr_matrix(np.stack([cue_features(e.cue_scores) for e in examples]))]).tocsr()
    reference = LogisticRegression(C=30.0, max_iter=5000).fit(features, [e.scenario for e in examples])
    for index in range(0, len(examples), 37):
        expected = dict(zip(reference.classes_, reference.predict_proba(features[index])[0], strict=True))
        got = model.probabilities(examples[index].text, examples[index].cue_scores)
        assert all(abs(got[key] - expected[key]) < 1e-6 for key in expected)
