"""Temporary: re-exports for callers not yet moved; removed when the service split lands.

The queries live in one module per aggregate: `storage.users`, `storage.runs`, `storage.answers`,
`storage.goals`, `storage.updates`.
"""

from __future__ import annotations

from storage.answers import (
    AnswerRecord,
    answer_by_message,
    answers_of,
    delete_answers,
    latest_answers,
    save_answers,
)
from storage.goals import (
    ActionRecord,
    GoalRecord,
    add_actions,
    create_goal,
    goals_of,
    set_action_status,
)
from storage.rows import ACTIONS, ANSWERS, GOALS, RUNS, UPDATES, USERS
from storage.runs import (
    RunRecord,
    active_run,
    completed_dialogs,
    create_run,
    get_run,
    latest_paused_run,
    lock_user_with_run,
    runs_of,
    save_run,
    set_run_status,
)
from storage.updates import claim_update, forget_updates_before
from storage.users import (
    UserRecord,
    create_user,
    delete_user,
    get_user,
    lock_user,
    set_active,
    update_user,
)

__all__ = [
    "ACTIONS", "ANSWERS", "GOALS", "RUNS", "UPDATES", "USERS",
    "ActionRecord", "AnswerRecord", "GoalRecord", "RunRecord", "UserRecord",
    "active_run", "add_actions", "answer_by_message", "answers_of", "claim_update",
    "completed_dialogs", "create_goal", "create_run", "create_user", "delete_answers",
    "delete_user", "forget_updates_before", "get_run", "get_user", "goals_of", "latest_answers",
    "latest_paused_run", "lock_user", "lock_user_with_run", "runs_of", "save_answers", "save_run",
    "set_action_status", "set_active", "set_run_status", "update_user",
]
