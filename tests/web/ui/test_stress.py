"""Eight writers at once: appends to one case's audit chain, sign-ins in one region, guesses at one account.

Each thread has its own test client, so each request has its own app context and database session. A barrier
starts them together; nothing sleeps.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from casemgmt import audit
from casemgmt.db import db
from casemgmt.models import AuditEvent, User

WRITERS = 8
ROUNDS = 4


def sign_in(browser, username: str, password: str):
    """Post the sign-in form from a thread (no app context there: the raw test client, the page's CSRF token)."""
    form = {"username": username, "password": password, "csrf_token": browser.token}
    return browser.client.post("/login", data=form)


def together(calls):
    """Run the calls in threads started together; return their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as err:  # noqa: BLE001 - reported by the test
            results[i] = err

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_eight_writers_appending_to_one_case_chain_get_no_server_error_and_keep_it_intact(api):
    case_id = api.bad_review()["case_id"]
    before = audit.count_events(f"case:{case_id}")
    users = ("ln-coordinator", "ln-auditor")
    headers = {u: {"Authorization": f"Bearer {api.token(u)}"} for u in users}
    db.session.remove()

    def writer(i):
        client = api.app.test_client()
        codes = []
        for n in range(ROUNDS):
            user = users[(i + n) % 2]
            url = f"/api/v1/cases/{case_id}?reveal_reason=stress-{i}-{n}"
            codes.append(client.get(url, headers=headers[user]).status_code)
        return codes

    results = together([lambda i=i: writer(i) for i in range(WRITERS)])
    codes = [code for result in results for code in result]
    assert codes == [200] * (WRITERS * ROUNDS), results
    chain = f"case:{case_id}"
    assert audit.count_events(chain) == before + WRITERS * ROUNDS
    assert audit.verify_chain(chain, b"test-audit-checkpoint-key") == []


def test_eight_concurrent_correct_sign_ins_in_one_region_all_succeed(ui):
    browsers = [ui() for _ in range(WRITERS)]
    names = ["ln-officer", "ln-officer2", "ln-supervisor", "ln-coordinator", "ln-admin", "ln-auditor"]
    for browser in browsers:
        browser.get("/login")
    db.session.remove()
    calls = [lambda b=b, n=names[i % len(names)]: sign_in(b, n, "zhenggai-demo") for i, b in enumerate(browsers)]
    codes = [r.status_code if not isinstance(r, Exception) else repr(r) for r in together(calls)]
    assert codes == [302] * WRITERS
    region_chains = db.session.scalars(select(AuditEvent.chain).where(AuditEvent.kind == "user_logged_in")).all()
    assert len(region_chains) == WRITERS
    assert all(audit.verify_chain(chain) == [] for chain in set(region_chains))


def test_concurrent_wrong_guesses_cannot_check_more_passwords_than_the_lock_out_allows(ui):
    browsers = [ui() for _ in range(WRITERS * 2)]
    for browser in browsers:
        browser.get("/login")
    db.session.remove()
    calls = [lambda b=b: sign_in(b, "ln-officer", "guess") for b in browsers]
    codes = [r.status_code if not isinstance(r, Exception) else repr(r) for r in together(calls)]
    assert codes == [401] * len(browsers)
    checked = db.session.scalar(select(func.count()).where(AuditEvent.kind == "login_failed"))
    assert checked == 5  # MAX_FAILURES: the other guesses were refused before their password was looked at
    user = db.session.scalar(select(User).where(User.username == "ln-officer"))
    assert user.locked_until is not None
    late = ui()
    assert late.login("ln-officer").status_code == 401
