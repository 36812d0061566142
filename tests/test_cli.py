"""The CLI end to end: ask, batch (multi-turn, malformed lines, bad files), index, --today."""

import json
import subprocess
import sys

import pytest

from assistant.cli import main

# In this process the CLI reads, answers and prints with the fast parts (`fast_cli_env`); the
# index command and the console script in a fresh process use the real model (`cli_env`, slow).
fast = pytest.mark.usefixtures("fast_cli_env")
real = pytest.mark.usefixtures("cli_env")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, out


@fast
def test_ask_prints_answer_clause_location_and_warning(capsys):
    code, out = run(capsys, "--today", "2026-11-26", "ask", "工业机器人补贴多少")
    assert code == 0
    assert "三、专项政策（二）" in out and "10%" in out and "GB/T12643-2013" in out
    assert "已过期" in out


@fast
def test_ask_json_is_a_reply(capsys):
    code, out = run(capsys, "--today", "2024-01-01", "ask", "省级上云标杆企业奖励多少", "--json")
    reply = json.loads(out)
    assert reply["status"] == "answered" and reply["warnings"] == []
    assert reply["citations"][0]["location"] == "三、专项政策（六）"


@fast
def test_ask_rejects_empty_message_without_traceback(capsys):
    code, out = run(capsys, "ask", "   ")
    assert code == 1 and "消息为空" in out


@fast
def test_batch_keeps_order_and_sessions_and_survives_bad_lines(capsys, tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join([
        json.dumps({"id": "1", "session": "s1", "message": "机器换人项目补助怎么算"}, ensure_ascii=False),
        json.dumps({"id": "2", "session": "s2", "message": "一鍵上雲補助每年能享受幾次"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "4", "session": "s1"}),
        json.dumps({"id": "5", "session": "s1", "message": "投资额一共是三百万"}, ensure_ascii=False),
        json.dumps(["a list"]),
        json.dumps({"id": "7", "message": "x" * 2001}),
    ]), encoding="utf-8")
    code, out = run(capsys, "--today", "2026-11-26", "batch", str(requests))
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(replies) == 7
    assert [r["status"] for r in replies] == ["needs_info", "answered", "error", "error", "calculated", "error",
                                              "error"]
    assert replies[2]["answer"].startswith("第3行") and replies[3]["answer"].startswith("第4行")
    assert replies[4]["id"] == "5" and replies[4]["calculations"][0]["amount_yuan"] == 300000
    assert "享受" in replies[1]["answer"] and "補助" in replies[1]["answer"]


@fast
def test_batch_missing_or_not_utf8_file_is_an_error_reply(capsys, tmp_path):
    code, out = run(capsys, "batch", str(tmp_path / "absent.jsonl"))
    assert code == 1 and json.loads(out)["status"] == "error" and "找不到" in json.loads(out)["answer"]
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"message": "caf\xe9"}'.encode("latin-1"))
    code, out = run(capsys, "batch", str(latin))
    assert code == 1 and "UTF-8" in json.loads(out)["answer"]


@pytest.mark.slow
@real
def test_a_count_alone_is_read_with_the_real_model_and_example_bank(capsys, tmp_path):
    # With the example bank on, a message naming no policy word ("不对，是4台") must still reach the
    # calculation it corrects, not be routed as a question outside the policy.
    requests = tmp_path / "count.jsonl"
    turns = ["我们买了3台机器人，每台50万，能补多少", "不对，是4台"]
    requests.write_text("\n".join(json.dumps({"id": str(n), "session": "count", "message": message},
                                             ensure_ascii=False) for n, message in enumerate(turns)),
                        encoding="utf-8")
    code, out = run(capsys, "--today", "2026-12-03", "batch", str(requests))
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and replies[-1]["status"] == "calculated", replies[-1]["answer"]
    assert replies[-1]["calculations"][0]["amount_yuan"] == 200000


@pytest.mark.slow
@real
def test_index_reports_nothing_to_embed_when_unchanged(capsys):
    code, out = run(capsys, "index")
    assert code == 0 and "0 added, 0 updated, 0 removed" in out


@fast
def test_bad_today_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--today", "26/11/2026", "ask", "x"])
    assert exit_info.value.code == 2


@pytest.mark.slow
@real
def test_console_script_runs_in_a_fresh_process():
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "--today", "2026-11-26", "ask", "--json",
                           "规划设计费6万元，委托第三方做数字化转型方案，补助多少"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    reply = json.loads(done.stdout)
    assert reply["status"] == "calculated" and reply["calculations"][0]["amount_yuan"] == 30000


@fast
def test_an_internal_failure_on_one_line_does_not_stop_the_batch(capsys, tmp_path, monkeypatch):
    from assistant.core import Assistant

    original = Assistant.reply

    def flaky(self, session, message, today, request_id=None):
        if message == "boom":
            raise RuntimeError("simulated failure")
        return original(self, session, message, today, request_id=request_id)

    monkeypatch.setattr(Assistant, "reply", flaky)
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"id": "1", "message": "boom"}\n{"id": "2", "message": "政策有效期到哪天"}\n',
                        encoding="utf-8")
    code, out = run(capsys, "batch", str(requests))
    replies = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in replies] == ["error", "answered"]
    assert "Traceback" not in replies[0]["answer"] and replies[0]["id"] == "1"
