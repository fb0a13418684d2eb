"""The properties panel's words in the user's language (bpmn-js's translate service reads this dictionary)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: the panel's own English texts (bpmn-js-properties-panel) -> the catalog; hints speak of Zhenggai's conventions
PANEL_TERMS = {
    "General": _l("General"),
    "Name": _l("Name"),
    "ID": _l("ID"),
    "Documentation": _l("Documentation"),
    "Element documentation": _l("Element documentation"),
    "User assignment": _l("User assignment"),
    "Assignee": _l("Assignee"),
    "Candidate groups": _l("Candidate groups"),
    "Candidate users": _l("Candidate users"),
    "Due date": _l("Due date"),
    "Follow up date": _l("Follow up date"),
    "Priority": _l("Priority"),
    "Forms": _l("Forms"),
    "Form key": _l("Form key"),
    "Type": _l("Type"),
    "Condition": _l("Condition"),
    "Condition expression": _l("Condition expression"),
    "Timer": _l("Timer"),
    "Value": _l("Value"),
    "Date": _l("Date"),
    "Duration": _l("Duration"),
    "Cycle": _l("Cycle"),
    "Implementation": _l("Implementation"),
    "Topic": _l("Topic"),
    "External": _l("External"),
    "Inputs": _l("Inputs"),
    "Outputs": _l("Outputs"),
    "Extension properties": _l("Extension properties"),
    "Task listeners": _l("Task listeners"),
    "Execution listeners": _l("Execution listeners"),
    "Asynchronous continuations": _l("Asynchronous continuations"),
    "Select an element to edit its properties.": _l("Select an element to edit its properties."),
    "Multiple elements are selected. Select a single element to edit its properties.": _l(
        "Multiple elements are selected. Select a single element to edit its properties."
    ),
    "The due date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00).": _l(
        "The due date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00)."
    ),
    "Specify more than one group as a comma separated list.": _l(
        "Specify more than one group as a comma separated list."
    ),
}


def panel_terms() -> dict[str, str]:
    """Return the panel's dictionary in the language of this request."""
    return {english: str(text) for english, text in PANEL_TERMS.items()}
