"""POST /v1/desensitize: the contract of DESIGN.md, for any role."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from core.keys import Role


def test_when_text_has_pii_then_placeholders_and_offsets_come_back(client: TestClient, make_key: Callable[[Role], str]) -> None:
    text = "黄女士您好，我的微信是 huang_li88，手机 13912345678。"
    response = client.post("/v1/desensitize", json={"text": text}, headers={"Authorization": f"Bearer {make_key(Role.annotator)}"})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "<PERSON_1>女士您好，我的微信是 <WECHAT_ID_1>，手机 <CN_MOBILE_1>。"
    assert [(e["type"], text[e["start"] : e["end"]], e["placeholder"]) for e in body["entities"]] == [
        ("PERSON", "黄", "<PERSON_1>"),
        ("WECHAT_ID", "huang_li88", "<WECHAT_ID_1>"),
        ("CN_MOBILE", "13912345678", "<CN_MOBILE_1>"),
    ]


def test_when_text_is_missing_or_too_long_then_422(client: TestClient, make_key: Callable[[Role], str]) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.rep)}"}
    assert client.post("/v1/desensitize", json={}, headers=headers).status_code == 422
    assert client.post("/v1/desensitize", json={"text": "好" * 10_001}, headers=headers).status_code == 422
