"""Feedback is recorded and read back the same way on SQLite and PostgreSQL (the `backend`
fixture); masking of what is stored is in test_masking.py."""

from __future__ import annotations

import time

from assistant.contract import Citation, Status
from assistant.storage.feedback import FeedbackIn


def test_a_rating_is_recorded_with_where_the_answer_came_from(backend):
    store = backend.feedback()
    cited = Citation(source="《富阳区…》", doc_id="fuyang-2021", location="第二条第（一）项",
                     text="按设备投资额的10%给予补助")
    before = time.time()
    first = store.add(FeedbackIn(question="机器人补贴多少", rating="up", status=Status.ANSWERED, citations=[cited],
                                 session="s1"))
    second = store.add(FeedbackIn(question="上限呢", rating="down"))
    assert second > first
    record = backend.feedback().get(first)  # another store on the same storage reads it
    assert record is not None and before <= record.pop("created") <= time.time()
    assert record == {"id": first, "session": "s1", "question": "机器人补贴多少", "status": "answered",
                      "citations": [{"doc_id": "fuyang-2021", "location": "第二条第（一）项"}], "rating": "up",
                      "comment": None}
    assert store.set_comment(second, "没说上限") and store.get(second)["comment"] == "没说上限"
    assert store.get(second + 100) is None and not store.set_comment(second + 100, "x")
    assert backend.schema_version("feedback") == 1
