"""The rep's sidebar in headless Chromium against `zhice serve --demo` (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audit import ledger
from audit.sealing import get_keyring
from core.db import get_engine, read_session
from core.settings import DEV_LEDGER_MASTER_KEY

from tests.live_server import LiveServer, start_server
from tests.pages.conftest import ARTIFACTS, require_chromium

FAKE_HOST = """window.__sent = [];
window.zhiceHost = {getConversation: async () => null, sendMessage: async (text) => { window.__sent.push(text); }};"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    yield from start_server(tmp_path_factory.mktemp("sidebar"), demo=True)


def _open(browser, server: LiveServer, demo_index: int = 0, host: bool = True):
    page = browser.new_page(viewport={"width": 380, "height": 900})
    if host:
        page.add_init_script(FAKE_HOST)
    page.goto(f"{server.url}/sidebar")
    page.wait_for_selector("#demo:not([hidden])")
    page.select_option("#demo", str(demo_index))
    return page


def _actions(server: LiveServer) -> list[dict]:
    """The rep's actions as recorded, their sealed text opened with the server's (development) master key."""
    with read_session(get_engine(f"sqlite:///{server.data_dir / 'zhice.db'}")) as session:
        opener = get_keyring(DEV_LEDGER_MASTER_KEY).opener(session)
        return [{"suggestion_id": e.suggestion_id, **opener.payload(e.kind, e.payload)} for e in ledger.events(session, kinds=["suggestion.action"])]


def test_when_a_rep_runs_a_demo_conversation_then_cards_chart_and_actions_work(server: LiveServer, browser) -> None:
    page = _open(browser, server)
    page.screenshot(path=str(ARTIFACTS / "sidebar-1-conversation.png"), full_page=True)
    with page.expect_response("**/v1/suggest/stream"):
        page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length === 3")
    page.wait_for_selector("#chart svg")
    assert all(card.locator("details").count() >= 2 for card in page.locator(".card").all())  # anchors + sources
    page.screenshot(path=str(ARTIFACTS / "sidebar-2-suggestions.png"), full_page=True)

    first_text = page.locator(".card .text").first.inner_text()
    page.locator(".card").nth(0).locator("[data-act=adopt]").click()
    page.wait_for_function("window.__sent.length === 1")
    assert page.evaluate("window.__sent[0]") == first_text == page.input_value("#chat-input")

    page.locator(".card").nth(1).locator("[data-act=edit]").click()
    page.locator(".card").nth(1).locator("textarea").fill("您好，这是我改过的回复。")
    page.locator(".card").nth(1).locator("[data-act=send]").click()
    page.wait_for_function("window.__sent.length === 2")
    page.screenshot(path=str(ARTIFACTS / "sidebar-3-acted.png"), full_page=True)
    kinds = {a["action"] for a in _actions(server)}
    assert {"adopted", "edited"} <= kinds
    page.close()


def test_when_streaming_fails_then_the_plain_endpoint_serves_the_cards(server: LiveServer, browser) -> None:
    page = _open(browser, server, demo_index=1)
    page.route("**/v1/suggest/stream", lambda route: route.abort())
    with page.expect_response("**/v1/suggest"):
        page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length >= 1")
    assert page.locator(".card").count() == 3 and page.inner_text("#error") == ""
    page.close()


def test_when_a_rep_uses_the_keyboard_then_1_to_3_pick_and_enter_adopts(server: LiveServer, browser) -> None:
    page = _open(browser, server, demo_index=0)
    page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length === 3")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.locator(".card").nth(1).locator(".done").wait_for()
    assert page.locator(".card").nth(1).locator(".done").inner_text() == "已采用"
    page.keyboard.press("Escape")
    assert page.locator(".card").count() == 0
    page.close()


def test_when_a_card_is_rejected_then_neither_keyboard_nor_clicks_send_it(server: LiveServer, browser) -> None:
    page = _open(browser, server, demo_index=3)
    page.on("dialog", lambda dialog: dialog.accept("客户不喜欢这种说法"))
    page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length >= 2")
    page.locator(".card").nth(1).locator("[data-act=reject]").click()
    assert [chip.inner_text() for chip in page.locator(".card").nth(1).locator(".chip").all()] == ["不相关", "信息不对", "语气不合适", "合规顾虑", "其他"]
    page.screenshot(path=str(ARTIFACTS / "sidebar-reject-chips.png"), full_page=True)
    page.locator(".card").nth(1).locator(".chip", has_text="语气不合适").click()
    page.locator(".card").nth(1).locator(".done").wait_for()
    page.locator(".card").nth(0).locator("[data-act=reject]").click()
    page.locator(".card").nth(0).locator(".chip", has_text="其他").click()  # 其他 asks for the words
    page.locator(".card").nth(0).locator(".done").wait_for()
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sent.length") == 0
    rejected = [a for a in _actions(server) if a["action"] == "rejected"]
    assert [a["reason"] for a in rejected[-2:]] == ["语气不合适", "其他：客户不喜欢这种说法"]
    page.close()


def test_when_the_key_is_wrong_then_the_rep_reads_what_to_do(server: LiveServer, browser) -> None:
    page = browser.new_page(viewport={"width": 380, "height": 800})
    page.add_init_script("sessionStorage.setItem('zhice-key', 'zk_expired_key')")
    page.goto(f"{server.url}/sidebar")
    page.wait_for_selector("#demo:not([hidden])")
    page.select_option("#demo", "0")
    page.click("#go")
    page.wait_for_function("document.querySelector('#error').textContent.includes('密钥')")
    assert "管理员" in page.inner_text("#error")
    page.close()


def test_when_a_contract_clause_is_risky_then_the_card_proposes_the_counter_term_and_the_reason_is_only_a_note(server: LiveServer, browser) -> None:
    page = _open(browser, server, demo_index=2)
    page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length >= 1")
    noted = page.locator(".card", has=page.locator(".rep-note")).first
    noted.wait_for()
    assert "不会发送" in noted.locator(".rep-note").inner_text()
    text = noted.locator(".text").inner_text()
    assert "不超过合同总价的10%" in text and "建议回复客户" not in text and "不会发送" not in text  # the fair term, in plain words
    page.screenshot(path=str(ARTIFACTS / "sidebar-contract-note.png"), full_page=True)
    page.close()


def test_when_the_rep_closes_cards_or_leaves_the_conversation_then_unacted_ones_are_ignored_once(server: LiveServer, browser) -> None:
    page = _open(browser, server, demo_index=4)
    page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length === 3")
    ids = page.evaluate("cards.map((c) => c.s.id)")
    page.locator(".card").nth(0).locator("[data-act=adopt]").click()
    page.wait_for_function("window.__sent.length === 1")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Escape")
    assert page.locator(".card").count() == 0
    page.select_option("#demo", "5")  # another conversation: the adopted reply leaves the send box
    assert page.input_value("#chat-input") == ""
    page.wait_for_timeout(500)
    recorded = {a["suggestion_id"]: a["action"] for a in _actions(server) if a["suggestion_id"] in ids}
    assert recorded == {ids[0]: "adopted", ids[1]: "ignored", ids[2]: "ignored"}

    page.click("#go")
    page.wait_for_function("document.querySelectorAll('.card').length >= 1")
    later = page.evaluate("cards.map((c) => c.s.id)")
    page.select_option("#demo", "6")  # leaving with cards shown records them as ignored too
    page.wait_for_timeout(500)
    assert {a["suggestion_id"]: a["action"] for a in _actions(server) if a["suggestion_id"] in later} == dict.fromkeys(later, "ignored")
    page.close()


def test_when_there_is_no_chat_host_then_send_copies_the_reply_and_says_so(server: LiveServer, browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{server.url}/sidebar")
    page.wait_for_selector("#demo:not([hidden])")
    page.select_option("#demo", "0")
    page.fill("#chat-input", "王总，报价单我今天发您。")
    page.locator("#outbox button").click()
    page.wait_for_function("document.querySelector('#notice').textContent.includes('剪贴板')")
    assert page.evaluate("navigator.clipboard.readText()") == "王总，报价单我今天发您。"
    page.screenshot(path=str(ARTIFACTS / "sidebar-standalone-copied.png"), full_page=True)
    context.close()
