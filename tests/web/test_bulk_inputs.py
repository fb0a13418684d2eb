"""The bulk intake's fast checks answer as the slow ones: fast_load as EvaluationSchema, the regex depth count as
the byte-by-byte one, and plain_json never skips a body check_json would refuse."""

from __future__ import annotations

import json
import random

from marshmallow import ValidationError

from casemgmt.inputs import MAX_JSON_DEPTH, check_tree, json_depth_exceeds, plain_json
from casemgmt.intake.fastload import fast_load
from casemgmt.intake.schemas import EvaluationSchema

BASE = {
    "region": "liaoning",
    "record_no": "R-1",
    "item_code": "LN-0001",
    "org_code": "ln-sy-scjg",
    "level": "satisfied",
    "evaluated_at": "2025-09-26T10:00:00+08:00",
}
VARIANTS = [
    {},
    {"evaluator": {}},
    {"evaluator": {"phone": "13800000000"}},
    {"evaluator": {"name": "张三", "phone": "+8613800000000", "real_name": True}},
    {"evaluator": {"phone": "010-12345678", "real_name": "true"}},  # the schema takes "true": fast_load leaves it
    {"evaluator": {"phone": "12345"}},
    {"evaluator": {"extra": 1}},
    {"evaluator": None},
    {"reasons": ["a", "b"], "sub_ratings": {"attitude": "satisfied"}, "staff_no": None, "external_id": "e-1"},
    {"reasons": ["a", "a"]},
    {"reasons": [""]},
    {"reasons": ["x"] * 21},
    {"reasons": "a"},
    {"sub_ratings": {"attitude": "great"}},
    {"sub_ratings": {"": "satisfied"}},
    {"staff_no": ""},
    {"staff_no": 12},
    {"external_id": ""},
    {"external_id": None},
    {"channel": "sms", "scope": "group", "comment": "好"},
    {"channel": "pigeon"},
    {"scope": "all"},
    {"comment": "x" * 2001},
    {"level": "awful"},
    {"level": None},
    {"region": ""},
    {"record_no": "x" * 65},
    {"org_code": 5},
    {"evaluated_at": "2025-09-26T10:00:00"},  # naive
    {"evaluated_at": "1800-01-01T00:00:00+00:00"},
    {"evaluated_at": 1},
    {"evaluated_at": None},
    {"evaluated_at": "2025-09-26T02:00:00Z"},
    {"evaluated_at": "2025-09-26 10:00:00.5+08:00"},
    {"evaluated_at": "2025-09-26T10:00:00-14:00"},
    {"evaluated_at": "2025-09-26T10:00:00+14:30"},
    {"evaluated_at": "2101-01-01T00:00:00+00:00"},
    {"evaluated_at": "2025-09-26"},
    {"evaluated_at": "2025-02-30T00:00:00+00:00"},
    {"evaluated_at": "2025-09-26T10:00:00+08:00" + " " * 40},
    {"surprise": True},
]


def _schema(raw: dict):
    try:
        return EvaluationSchema().load(raw)
    except ValidationError:
        return None


def test_fast_load_gives_the_schema_result_or_leaves_the_item_to_it():
    for variant in VARIANTS:
        raw = {**BASE, **variant}
        fast, slow = fast_load(raw), _schema(raw)
        assert fast is None or fast == slow, variant
        if fast is not None:
            assert fast["evaluated_at"].tzinfo == slow["evaluated_at"].tzinfo, variant
    for name in ("region", "level", "evaluated_at"):
        raw = {k: v for k, v in BASE.items() if k != name}
        assert fast_load(raw) is None and _schema(raw) is None
    assert fast_load({**BASE}) == _schema({**BASE}) is not None
    assert fast_load([BASE]) is None


def _byte_by_byte(raw: bytes, limit: int) -> bool:
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def test_the_depth_count_skips_strings_as_the_byte_scan_does():
    rng = random.Random(16)
    for _ in range(20_000):
        raw = bytes(rng.choice(b'[]{}"\\ax\n') for _ in range(rng.randint(0, 60)))
        for limit in (0, 1, 3, MAX_JSON_DEPTH):
            assert json_depth_exceeds(raw, limit) == _byte_by_byte(raw, limit), (raw, limit)


def test_plain_json_only_vouches_for_bodies_check_json_accepts():
    rng = random.Random(17)
    chars = ["a", "\x00", "\x1f", "\x7f", "\ud800", "\udfff", "\t", "é", "测", "\U0001f600", "\\", '"', "\u0085", "u"]

    def value():
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 4)))
        return rng.choice([rng.randint(-(2**70), 2**70), 7, 1.5, float("nan"), float("inf"), 1e308, True, None, text])

    vouched = 0
    for _ in range(5_000):
        body = {"".join(rng.choice(chars) for _ in range(2)): [value() for _ in range(3)], "k": value()}
        raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        if plain_json(raw):
            vouched += 1
            assert check_tree(json.loads(raw)) == {}, raw
    assert vouched > 50
    assert plain_json(json.dumps({"evaluations": [BASE] * 3}, ensure_ascii=False).encode())
    # a client that escapes every non-ASCII character (Python's json.dumps by default) is not walked either
    chinese = {**BASE, "comment": "等待时间长", "evaluator": {"name": "测试", "phone": "13700000000"}}
    assert plain_json(json.dumps({"evaluations": [chinese] * 3}).encode())
