"""Form data a handling officer would type, per form key of the national diagram."""

CALLBACK = {
    "callback_result": "reached",
    "callback_at": "2025-09-26T15:00:00+08:00",
    "facts": "窗口人员当日系统故障，未及时告知。",
}
FORMS = {
    "immediate_fix": {"fix_measures": "增开窗口，专人引导", "fixed_at": "2025-09-29T10:00:00+08:00"},
    "explanation": {"explanation": "该材料为法定要件，无法免除。", "legal_basis": "《行政许可法》第三十一条"},
    "rectification": {
        "rectification_measures": "优化预约系统",
        "rectified": True,
        "rectified_at": "2025-10-15T10:00:00+08:00",
    },
    "handling_choice": {"handling": "explanation"},
    "feedback": {
        "feedback_content": "已整改并电话告知",
        "feedback_channel": "phone",
        "feedback_at": "2025-10-16T10:00:00+08:00",
        "satisfied": "yes",
    },
    "supervision": {"supervision_method": "urge", "supervision_opinion": "请于今日内完成回访"},
    "dissatisfaction_review": {"review_opinion": "已复核，维持处理结果", "review_action": "maintain"},
}


def callback(outcome: str) -> dict:
    return {**CALLBACK, "outcome": outcome}


def open_tasks(api, case_id: int, user: str) -> list[dict]:
    body = api.get(f"/api/v1/cases/{case_id}", user).get_json()
    return body["open_tasks"]


def only_task(api, case_id: int, user: str, element: str | None = None) -> dict:
    tasks = [t for t in open_tasks(api, case_id, user) if element is None or t["element_id"] == element]
    assert len(tasks) == 1, tasks
    return tasks[0]


def complete(api, task_id: int, user: str, data: dict):
    return api.post(f"/api/v1/tasks/{task_id}/complete", user, json={"data": data})
