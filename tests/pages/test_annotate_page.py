"""The annotator's page in headless Chromium against the real server: keyboard labels,
today's quota, a 409 after the item was labelled elsewhere, the empty queue
(screenshots in test-artifacts/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx2
import pytest

from tests.live_server import LiveServer, start_server
from tests.pages.conftest import ARTIFACTS, require_chromium

# synthetic, written for these tests: each conversation opens with the rep, so every snippet has context
CONVERSATIONS = {
    "page-c1": [
        ("rep", "王总您好，我是智策科技的小李，上周发您的报价单看了吗？"),
        ("customer", "看了，你们比友商贵了两成，预算压力很大。有事打我电话 13911112222。"),
        ("rep", "理解您的预算压力。我们含三年质保和上门安装，折算下来总成本更低，我整理一份对比表发您。"),
    ],
    "page-c2": [
        ("rep", "您好，设备的排产计划已经出来了，想跟您同步一下交期。"),
        ("customer", "交期能不能提前一周？<img src=x onerror=\"window.__xss=1\"> 我们月底就要上线。"),
        ("rep", "我和工厂确认加急排产，今天下班前给您准确日期。"),
    ],
    "page-c3": [
        ("rep", "合同草稿已经发您邮箱了，请您过目。"),
        ("customer", "违约金那条太重了，我们法务不同意，能不能改成按日万分之五？"),
        ("rep", "违约金条款我需要和我们法务确认，明天上午给您答复，其他条款先按草稿推进可以吗？"),
    ],
}


def fuel_server(data, *, double_share: str) -> Iterator[LiveServer]:
    """A live server where every snippet needs ``double_share`` of two labels (1 = all of them)."""
    require_chromium()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZHICE_ANNOTATION_DOUBLE_SHARE", double_share)
        servers = start_server(data, demo=False)
        server = next(servers)
    yield server
    next(servers, None)


def make_key(server: LiveServer, role: str, name: str) -> str:
    return server.zhice("keys", "create", "--role", role, "--name", name).strip().splitlines()[-1]


def call(server: LiveServer, key: str, method: str, path: str, body: dict | None = None) -> httpx2.Response:
    return httpx2.request(method, f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def ingest(server: LiveServer, key: str, conversations: dict[str, list[tuple[str, str]]]) -> None:
    messages = [
        {"conversation_id": cid, "ts": f"2026-11-20T10:0{i}:00+08:00", "role": role, "text": text}
        for cid, turns in conversations.items()
        for i, (role, text) in enumerate(turns)
    ]
    response = call(server, key, "POST", "/v1/dialogues", {"source": "page-test", "industry": "manufacturing", "messages": messages})
    assert response.status_code == 201 and response.json()["snippets_created"] == len(conversations), response.text


def snippets(server: LiveServer, manager: str, status: str) -> dict[str, dict]:
    listed = call(server, manager, "GET", f"/v1/snippets?status={status}").json()
    return {row["id"]: row for row in listed["items"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from fuel_server(tmp_path_factory.mktemp("annotate"), double_share="1")


@pytest.fixture(scope="module")
def keys(server: LiveServer) -> dict[str, str]:
    keys = {
        "manager": make_key(server, "manager", "经理"),
        "annotator": make_key(server, "annotator", "标注员甲"),
        "second": make_key(server, "annotator", "标注员乙"),
        "legal": make_key(server, "legal", "法务"),
    }
    ingest(server, keys["manager"], CONVERSATIONS)
    return keys


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
