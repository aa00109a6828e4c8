"""The annotator's page in headless Chromium against the real server: keyboard labels,
today's quota, a 409 after the item was labelled elsewhere, the empty queue
(screenshots in test-artifacts/)."""

from __future__ import annotations

import json
import re

from tests.live_server import LiveServer
from tests.pages.conftest import ARTIFACTS, CONVERSATIONS, call, fuel_fixtures, snippets

server, keys = fuel_fixtures(
    "annotate",
    {"manager": ("manager", "经理"), "annotator": ("annotator", "标注员甲"), "second": ("annotator", "标注员乙"), "legal": ("legal", "法务")},
    CONVERSATIONS,
)


def _sign_in(page, server: LiveServer, key: str, path: str = "/annotate"):
    page.goto(f"{server.url}{path}")
    page.fill("#key", key)
    with page.expect_response(re.compile(r"/v1/(annotation|review)/next$")) as answer:
        page.press("#key", "Enter")
    return answer.value


def test_when_a_legal_key_opens_the_annotate_page_then_it_says_which_key_is_needed(server: LiveServer, keys, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server.url}/annotate")
    page.fill("#key", keys["legal"])
    page.press("#key", "Enter")
    page.wait_for_function("document.querySelector('#alert').textContent.includes('角色不符')")
    assert "标注员" in page.inner_text("#alert") and "/review" in page.inner_text("#alert")
    assert page.is_visible("#key") and page.is_hidden("#work")
    page.fill("#key", "zk_not_a_real_key")
    page.press("#key", "Enter")
    page.wait_for_function("document.querySelector('#alert').textContent.includes('密钥无效')")
    page.close()


def test_when_an_annotator_labels_with_the_keyboard_then_the_server_has_the_labels_and_progress(server: LiveServer, keys, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    first = _sign_in(page, server, keys["annotator"]).json()
    page.wait_for_selector("#work:not([hidden])")

    # the snippet in its context, the flags and today's progress
    assert page.inner_text("#text") == first["text"] and page.inner_text("#reply") == first["reply"]
    assert page.locator("#context .turn").count() == len(first["context"]) == 1
    assert first["context"][0]["text"] in page.inner_text("#context")
    assert page.is_visible("#double") and "两人标注" in page.inner_text("#double")
    assert "今日高价值 0/3" in page.inner_text("#progress")
    assert re.search(r"租约剩余 1[45]:\d\d", page.inner_text("#lease"))
    assert page.locator("#scenario option").count() == 1 + len(first["scenarios"])

    # only the keyboard: outcome, quality, scenario, high value, a note whose letters are not shortcuts
    for key in ["1", "e", "a", "h", "n"]:
        page.keyboard.press(key)
    assert page.evaluate("document.activeElement.id") == "note"
    page.keyboard.type("客户认可分期 1qh")
    page.keyboard.press("Escape")
    state = page.evaluate("""() => ({
        outcome: document.querySelector('input[name=outcome]:checked')?.value,
        quality: document.querySelector('input[name=quality]:checked')?.value,
        scenario: document.querySelector('#scenario').value,
        high: document.querySelector('#high-value').checked,
        note: document.querySelector('#note').value})""")
    assert state == {"outcome": "won", "quality": "3", "scenario": "price", "high": True, "note": "客户认可分期 1qh"}
    page.screenshot(path=str(ARTIFACTS / "annotate-page.png"), full_page=True)

    with page.expect_response(f"**/v1/annotation/{first['snippet_id']}") as posted:
        page.keyboard.press("Enter")
    assert posted.value.status == 201
    page.wait_for_function(f"!document.querySelector('#snippet-id').textContent.includes('{first['snippet_id'][:8]}')")
    page.wait_for_function("document.querySelector('#progress-text').textContent.includes('今日高价值 1/3')")
    assert "已标注 1 条" in page.inner_text("#progress") and "等待另一位标注员" in page.inner_text("#status")

    # the server kept these labels: a second annotator disagrees, the item goes to review, disputed
    second = call(server, keys["second"], "POST", f"/v1/annotation/{first['snippet_id']}",
                  {"outcome": "lost", "scenario": "competitor", "quality": 2})
    assert second.status_code == 201 and second.json()["to_review"], second.text
    recorded = snippets(server, keys["manager"], "review")[first["snippet_id"]]
    assert (recorded["outcome"], recorded["scenario"], recorded["quality"], recorded["high_value"], recorded["disputed"]) == ("won", "price", 3, True, True)
    stats = call(server, keys["manager"], "GET", "/v1/annotation/stats").json()
    assert {(d["name"], d["labelled"], d["high_value"]) for d in stats["days"]} >= {("标注员甲", 1, 1)}

    # a 409: the item on screen was labelled meanwhile (here: by the same key elsewhere)
    held = page.inner_text("#snippet-id").removeprefix("片段 #")
    held_id = next(s for s in snippets(server, keys["manager"], "annotating") if s.startswith(held))
    assert call(server, keys["annotator"], "POST", f"/v1/annotation/{held_id}", {"outcome": "lost", "scenario": "delivery", "quality": 4}).status_code == 201
    for key in ["2", "w", "s"]:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#alert').textContent.includes('已经标注过')")
    assert page.is_visible("#next-after-error") and page.evaluate("document.activeElement.id") == "next-after-error"
    page.keyboard.press("Enter")  # 领取下一条
    page.wait_for_function(f"!document.querySelector('#snippet-id').textContent.includes('{held}')")
    assert page.inner_text("#alert") == "" and "已标注 2 条" in page.inner_text("#progress")

    # Enter before the labels are complete: says what is missing, sends nothing
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#alert').textContent.includes('缺少')")
    assert all(word in page.inner_text("#alert") for word in ("结果", "质量", "场景"))
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.wait_for_function("!document.querySelector('#alert').textContent.includes('结果（')")
    assert "质量" in page.inner_text("#alert") and posts == []
    page.set_viewport_size({"width": 400, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "annotate-page-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # finish the last item: the queue is empty for this annotator
    for key in ["r", "d"]:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_selector("#empty:not([hidden])")
    assert "队列已空" in page.inner_text("#empty") and page.is_hidden("#work")
    assert "已标注 3 条" in page.inner_text("#progress") and "今日高价值 1/3" in page.inner_text("#progress")
    page.screenshot(path=str(ARTIFACTS / "annotate-page-empty.png"), full_page=True)

    # desensitized placeholders and markup in the data were shown as text, never run
    assert page.evaluate("window.__xss") is None
    page.close()


def test_when_an_item_holds_markup_and_placeholders_then_they_render_as_text(server: LiveServer, keys, browser) -> None:
    item = {
        "snippet_id": "f" * 64, "industry": None, "source": "page-test", "lease_expires_in_s": 45, "double_labelled": False,
        "context": [{"role": "customer", "text": "我是<PERSON_1>，电话 <CN_MOBILE_1>"}, {"role": "rep", "text": "<b>好的</b>"}],
        "text": '价格 <img src=x onerror="window.__xss=1"> 太高', "reply": "<PERSON_2>您好，<script>window.__xss=2</script>可以分期。",
        "progress": {"day": "2026-11-20", "labelled": 3, "high_value": 3, "quota": 3, "remaining": 0, "met": True},
        "scenarios": [{"key": "price", "label": "价格异议"}, {"key": "other", "label": "其他"}],
    }
    page = browser.new_page(viewport={"width": 400, "height": 900})
    page.route("**/v1/annotation/next", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(item, ensure_ascii=False)))
    _sign_in(page, server, keys["second"])
    page.wait_for_selector("#work:not([hidden])")
    assert page.inner_text("#text") == item["text"] and page.inner_text("#reply") == item["reply"]
    assert "<CN_MOBILE_1>" in page.inner_text("#context") and "<b>好的</b>" in page.inner_text("#context")
    assert page.locator("#work img, #work script, #work b").count() == 0 and page.evaluate("window.__xss") is None
    assert page.is_hidden("#double") and "今日高价值 3/3 ✓ 已达标" in page.inner_text("#progress")
    assert "met" in page.get_attribute("#progress", "class")
    assert re.search(r"租约剩余 0:4\d", page.inner_text("#lease"))
    page.close()
