"""The hash chain on plain records, no database."""

from __future__ import annotations

import pytest

from audit.chain import GENESIS_HASH, canonical_json, compute_hash, verify_records


def _chain(n: int) -> list[dict]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        record = {
            "seq": seq,
            "ts": f"2026-11-28T00:00:{seq:02d}.000000Z",
            "kind": "test",
            "actor_key_id": None,
            "actor_role": "system",
            "request_id": None,
            "suggestion_id": None,
            "payload": canonical_json({"n": seq, "text": "客户<PERSON_1>询价"}),
            "prev_hash": prev,
        }
        record["hash"] = compute_hash(record)
        prev = record["hash"]
        records.append(record)
    return records


def test_when_keys_are_in_any_order_then_canonical_json_is_the_same() -> None:
    assert canonical_json({"b": 1, "a": "王"}) == canonical_json({"a": "王", "b": 1}) == '{"a":"王","b":1}'


def test_when_a_value_is_nan_then_canonical_json_refuses() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_when_the_chain_is_intact_then_it_verifies_with_its_head() -> None:
    records = _chain(5)
    result = verify_records(records)
    assert (result.ok, result.events, result.head_hash) == (True, 5, records[-1]["hash"])


@pytest.mark.parametrize("field", ["payload", "kind", "ts", "actor_role", "seq"])
def test_when_a_field_is_altered_then_that_seq_is_named(field: str) -> None:
    records = _chain(5)
    records[2][field] = 99 if field == "seq" else "tampered"
    result = verify_records(records)
    assert not result.ok
    assert result.first_bad_seq == 3


def test_when_an_event_is_removed_then_its_seq_is_named_missing() -> None:
    records = _chain(5)
    del records[1]
    result = verify_records(records)
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "missing" in result.reason


def test_when_an_event_is_rehashed_after_editing_then_the_next_link_breaks() -> None:
    records = _chain(5)
    records[1]["payload"] = canonical_json({"n": 2, "text": "edited"})
    records[1]["hash"] = compute_hash(records[1])
    result = verify_records(records)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_when_a_range_is_verified_then_its_first_prev_hash_is_trusted() -> None:
    records = _chain(6)[2:]
    assert not verify_records(records).ok
    assert verify_records(records, from_genesis=False).ok
