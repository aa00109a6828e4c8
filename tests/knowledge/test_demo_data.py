"""The synthetic demo data: enough of it, every scenario and industry, desensitized, compliant."""

from __future__ import annotations

import re
from collections import Counter

from agents.compliance import get_guard
from knowledge.demo_data import demo_clauses, demo_scripts, demo_snippets
from knowledge.taxonomy import load_taxonomy


def test_when_the_demo_snippets_load_then_they_cover_industries_scenarios_and_outcomes() -> None:
    snippets = demo_snippets()
    assert len(snippets) >= 300 and all(s.synthetic for s in snippets)
    assert len({s.industry for s in snippets}) >= 4
    cells = Counter((s.industry, s.scenario, s.outcome) for s in snippets)
    for industry in {s.industry for s in snippets}:
        for scenario in load_taxonomy().keys:
            assert cells[(industry, scenario, "won")] >= 1 and cells[(industry, scenario, "lost")] >= 1, (industry, scenario)


def test_when_a_demo_snippet_is_read_then_it_holds_no_raw_personal_data(desensitizer) -> None:
    for snippet in demo_snippets():
        for text in (snippet.customer, snippet.reply):
            assert not re.search(r"\d{11}|@", text), snippet.id
            found = {d.type for d in desensitizer.detect(text)} - {"PERSON"}
            assert not found, (snippet.id, found)


def test_when_won_replies_are_checked_then_they_pass_the_compliance_guard() -> None:
    guard = get_guard()
    for snippet in demo_snippets():
        if snippet.outcome == "won":
            assert guard.enforce(snippet.reply).text is not None, snippet.id


def test_when_the_clause_library_loads_then_it_has_at_least_forty_labelled_clauses() -> None:
    assert len(demo_clauses()) >= 40


def test_when_sample_scripts_load_then_every_scenario_has_one_and_all_comply() -> None:
    scripts = demo_scripts()
    assert {s.scenario for s in scripts} == set(load_taxonomy().keys)
    assert all(get_guard().enforce(s.text).text == s.text for s in scripts)
