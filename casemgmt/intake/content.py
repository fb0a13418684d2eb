"""What a rating holds per region: sub-ratings (一次一评 / 一事一评 items), preset reasons, reasons required.

GB/T 39734-2020 annex A and NEA 二.(二): overall level plus items such as staff attitude and proficiency; Xi'an
第八条: a bad review carries a ticked or written reason. The values are rule settings of the region's deployed
version (settings.json: versioned, edited in the settings editor, deployed with a reason), text one item a line.
"""

from __future__ import annotations

from casemgmt.errors import InvalidInput
from casemgmt.models import LEVELS, Region
from casemgmt.rules import bundles, regions

#: reasons offered where the region lists none (after the aspects of GB/T 39734-2020 annex A)
DEFAULT_REASONS = (
    "办事指南不清晰",
    "办事流程繁琐",
    "材料要求不明确",
    "多次往返跑腿",
    "办理时间过长",
    "超时未办结",
    "工作人员态度不好",
    "工作人员业务不熟练",
    "系统操作不便或故障",
)


def rating_settings(region: Region) -> dict:
    """Return the rule settings of the region's active version (empty before anything is deployed)."""
    definition = bundles.get_active(region.id, required=False)
    return bundles.settings_of(definition.files) if definition is not None else {}


def _lines(text: object) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def preset_reasons(region: Region) -> list[str]:
    """Return the reasons an evaluator may tick: the version's list, one a line, else the default list."""
    return _lines(rating_settings(region).get("preset_reasons")) or list(DEFAULT_REASONS)


def sub_ratings(region: Region, settings: dict | None = None) -> list[tuple[str, str]]:
    """Return the region's sub-rating items as (code, label), from lines `code=label`."""
    items = []
    settings = rating_settings(region) if settings is None else settings
    for line in _lines(settings.get("sub_ratings")):
        code, _, label = line.partition("=")
        items.append((code.strip(), (label or code).strip()))
    return items


def requires_reason(region: Region, settings: dict | None = None) -> bool:
    """Tell whether a bad review must carry a reason (the version's setting, else the region's)."""
    settings = rating_settings(region) if settings is None else settings
    versioned = settings.get("bad_review_requires_reason")
    if versioned is not None:
        return bool(versioned)
    return bool(regions.settings_of(region).get("bad_review_requires_reason"))


def check_content(region: Region, payload: dict, is_bad: bool) -> None:
    """Refuse sub-ratings the region does not have, and a bad review without a reason where one is required."""
    given = payload.get("sub_ratings") or {}
    if not given and not is_bad:
        return  # nothing to check: no version read on the common path
    settings = rating_settings(region)
    known = dict(sub_ratings(region, settings))
    unknown = sorted(set(given) - set(known))
    if unknown:
        hint = "、".join(f"{code}（{label}）" for code, label in known.items()) or "本地区不设分项评价"
        raise InvalidInput("未知的分项评价", details={"sub_ratings": [f"未知：{'、'.join(unknown)}；可选：{hint}"]})
    bad_levels = [code for code, level in given.items() if level not in LEVELS]
    if bad_levels:
        raise InvalidInput("分项评价等级有误", details={"sub_ratings": ["等级必须是：" + "、".join(LEVELS)]})
    if is_bad and requires_reason(region, settings) and not payload["reasons"] and not payload["comment"].strip():
        raise InvalidInput("差评须勾选或填写原因", details={"reasons": ["本地区规定差评必须说明原因"]})
