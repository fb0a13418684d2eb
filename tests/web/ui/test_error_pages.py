"""Error pages a person can use: Chinese, in the house style, no role codes, a favicon, a skip link."""

import re

from casemgmt.access.policy import Role


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_missing_page_answers_in_chinese_without_werkzeugs_english(ui):
    response = ui("ln-officer").get("/no-such-page")
    text = _text(response.text)
    assert response.status_code == 404 and "这个地址没有页面" in text and "返回首页" in text
    assert "requested URL" not in text and 'class="panel error-page"' in response.text


def test_a_forbidden_page_says_what_is_not_allowed_without_role_codes(ui):
    response = ui("ln-officer").get("/audit/cases")
    text = _text(response.text.split("<main", 1)[1])
    assert response.status_code == 403 and "无权" in text and "本地区管理员" in text
    assert not [r.value for r in Role if re.search(rf"(?<![\w-]){r.value}(?![\w-])", text)]


def test_an_unexpected_error_shows_the_chinese_500_page(seeded_app, ui):
    def broken():
        raise RuntimeError("boom")

    seeded_app.add_url_rule("/__broken", "broken", broken)
    seeded_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = ui("ln-officer").get("/__broken")
    assert response.status_code == 500 and "系统出现错误，已记录" in response.text and "boom" not in response.text


def test_every_page_has_a_favicon_and_a_skip_link_to_the_content(ui):
    officer = ui("ln-officer")
    icon = officer.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
    page = officer.get("/inbox").text
    body = page.split("<body>", 1)[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#main">跳到正文</a>') and '<main id="main"' in page
    assert 'rel="icon" href="/favicon.ico"' in page


def test_lamps_carry_a_word_not_colour_alone(api, ui, clock):
    clock.set("2025-09-22T02:00:00+00:00")
    api.bad_review()
    clock.set("2025-09-29T02:00:00+00:00")
    page = ui("ln-officer").get("/inbox?view=my_roles").text
    assert re.search(r'class="lamp lamp-red"[^>]*></span><span class="lamp-word lamp-word-red"[^>]*>逾期</span>', page)
