"""Legal's review page in headless Chromium against the real server: a disputed item settled
and approved with the keyboard, another rejected with a reason, the empty queue
(screenshots in test-artifacts/)."""

from __future__ import annotations

from tests.live_server import LiveServer
from tests.pages.conftest import ARTIFACTS, CONVERSATIONS, call, fuel_fixtures, snippets

server, keys = fuel_fixtures(
    "review",
    {"manager": ("manager", "经理"), "first": ("annotator", "标注员甲"), "second": ("annotator", "标注员乙"), "legal": ("legal", "法务小周")},
    {cid: CONVERSATIONS[cid] for cid in ("page-c1", "page-c3")},
)


def _label(server: LiveServer, key: str, snippet_id: str, **labels) -> None:
    response = call(server, key, "POST", f"/v1/annotation/{snippet_id}", {"quality": 3, **labels})
    assert response.status_code == 201, response.text


def _wait_for_item(page, snippet_id: str) -> None:
    page.wait_for_function(f"document.querySelector('#snippet-id').textContent.includes('{snippet_id[:8]}') && !document.querySelector('#work').hidden")


def test_when_an_annotator_key_opens_the_review_page_then_it_says_which_key_is_needed(server: LiveServer, keys, browser) -> None:
    page = browser.new_page(viewport={"width": 400, "height": 800})
    page.goto(f"{server.url}/review")
    page.fill("#key", keys["first"])
    page.click("#load")
    page.wait_for_function("document.querySelector('#alert').textContent.includes('角色不符')")
    assert "法务" in page.inner_text("#alert") and "/annotate" in page.inner_text("#alert")
    page.close()


def test_when_legal_settles_a_dispute_and_decides_with_the_keyboard_then_the_statuses_change(server: LiveServer, keys, browser) -> None:
    disputed_id, agreed_id = sorted(snippets(server, keys["manager"], "annotating"))
    _label(server, keys["first"], disputed_id, outcome="won", scenario="price", high_value=True, note="分期付款化解预算异议")
    _label(server, keys["second"], disputed_id, outcome="lost", scenario="competitor", quality=2)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/review")
    page.fill("#key", keys["legal"])
    page.press("#key", "Enter")
    _wait_for_item(page, disputed_id)
    assert "法务小周" in page.inner_text("#who")

    # the snippet in context, both annotators' labels, the dispute flagged with selects to settle it
    assert page.locator("#context .turn").count() == 1 and page.inner_text("#reply")
    assert page.is_visible("#disputed") and "不一致" in page.inner_text("#disputed")
    assert page.locator("#annotations thead th").count() == 3  # the row label + two annotators
    assert page.locator("#annotations td.diff").count() >= 3  # outcome, scenario, quality (and more) differ
    assert "分期付款化解预算异议" in page.inner_text("#annotations")
    assert page.input_value("#settle-outcome") == "won" and page.input_value("#settle-scenario") == "price"

    page.keyboard.press("Enter")  # no decision yet
    page.wait_for_function("document.querySelector('#alert').textContent.includes('还没有决定')")
    page.keyboard.press("2")  # settle: lost
    page.keyboard.press("s")  # the scenario select, then an arrow to the next scenario
    assert page.evaluate("document.activeElement.id") == "settle-scenario"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("a")  # approve, even from inside the select
    assert page.input_value("#settle-outcome") == "lost" and page.input_value("#settle-scenario") == "competitor"
    assert page.is_checked("input[name=decision][value=approve]")
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
    page.set_viewport_size({"width": 400, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "review-page-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_response(f"**/v1/review/{disputed_id}") as decided:
        page.keyboard.press("Enter")
    assert decided.value.status == 200
    page.wait_for_selector("#empty:not([hidden])")
    assert "已批准" in page.inner_text("#status")
    approved = snippets(server, keys["manager"], "approved")[disputed_id]
    assert (approved["status"], approved["outcome"], approved["scenario"], approved["high_value"]) == ("approved", "lost", "competitor", True)

    # the next item arrives while the page shows the empty queue: reload, reject with a reason
    _label(server, keys["first"], agreed_id, outcome="unknown", scenario="contract")
    _label(server, keys["second"], agreed_id, outcome="unknown", scenario="contract")
    assert page.evaluate("document.activeElement.id") == "reload"
    page.keyboard.press("Enter")
    _wait_for_item(page, agreed_id)
    assert page.is_hidden("#disputed") and page.locator("#annotations td.diff").count() == 0
    page.keyboard.press("x")
    assert page.evaluate("document.activeElement.id") == "reason" and page.is_checked("input[name=decision][value=reject]")
    page.keyboard.press("Enter")  # a rejection needs a reason
    page.wait_for_function("document.querySelector('#alert').textContent.includes('理由')")
    page.keyboard.type("违约金表述可能被理解为承诺，不宜作为范例")
    with page.expect_response(f"**/v1/review/{agreed_id}") as decided:
        page.keyboard.press("Enter")
    assert decided.value.status == 200
    page.wait_for_selector("#empty:not([hidden])")
    assert "没有待审核的片段" in page.inner_text("#empty") and "已驳回" in page.inner_text("#status")
    assert snippets(server, keys["manager"], "rejected")[agreed_id]["status"] == "rejected"
    assert call(server, keys["legal"], "GET", "/v1/review/next").status_code == 204
    page.close()


def test_when_legal_adds_a_missed_sentence_on_the_review_page_then_the_next_check_flags_it(server: LiveServer, keys, browser) -> None:
    missed = "这款外壳用的是航天同款材料，您懂的。"
    assert call(server, keys["legal"], "POST", "/v1/compliance/check", {"text": missed}).json()["compliant"] is True

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/review")
    page.fill("#key", keys["legal"])
    page.press("#key", "Enter")
    page.wait_for_selector("#exemplars:not([hidden])")
    page.click("#exemplars summary")
    page.fill("#exemplar-text", missed)
    page.select_option("#exemplar-rule", "unsourced-claim")
    page.keyboard.press("Enter")  # inside the side form: a new line in the text, never a review decision
    with page.expect_response("**/v1/compliance/exemplars") as added:
        page.click("#exemplar-add")
    assert added.value.status == 201
    page.wait_for_function("document.querySelector('#exemplar-status').textContent.includes('已加入范例库')")
    page.screenshot(path=str(ARTIFACTS / "review-exemplar.png"), full_page=True)
    page.close()

    (violation,) = call(server, keys["legal"], "POST", "/v1/compliance/check", {"text": missed}).json()["violations"]
    assert (violation["rule"], violation["how"]) == ("unsourced-claim", "exemplar")
