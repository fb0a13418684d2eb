"""Two people act on one task at the same moment: exactly one wins, the other gets 409."""

import threading

from tests.web.flows import callback, complete, only_task


def race(api, calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_concurrent_completions_of_one_task_one_wins_one_gets_409(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    client_a, client_b = api.app.test_client(), api.app.test_client()
    headers = {u: {"Authorization": f"Bearer {api.token(u)}"} for u in ("ln-officer", "ln-officer2")}
    url = f"/api/v1/tasks/{task['id']}/complete"
    results = race(
        api,
        [
            lambda: client_a.post(url, headers=headers["ln-officer"], json={"data": callback("explanation")}),
            lambda: client_b.post(url, headers=headers["ln-officer2"], json={"data": callback("immediate_fix")}),
        ],
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.get_json() for r in results]
    following = only_task(api, case["case_id"], "ln-officer")
    winner = next(r for r in results if r.status_code == 200).get_json()["task"]
    expected = "Task_Explanation" if winner["data"]["outcome"] == "explanation" else "Task_ImmediateFix"
    assert following["element_id"] == expected


def test_a_stale_completion_after_the_task_was_done_gets_409(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert complete(api, task["id"], "ln-officer", callback("explanation")).status_code == 200
    response = complete(api, task["id"], "ln-officer2", callback("explanation"))
    assert response.status_code == 409 and response.get_json()["error"] == "task_not_open"
