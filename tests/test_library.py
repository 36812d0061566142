"""The policy library: one folder per policy, each checked on its own, a malformed one left out
with its file, line and reason while the others serve; rules and answers kept per policy.

Every library here is the Fuyang policy and/or the invented demo policy (tests/libraries.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.corpus.library import load_library
from assistant.corpus.policy import Validity
from assistant.corpus.routing import PolicyRouter
from assistant.web.catalogue import policy_entries
from tests.libraries import DEMO, FUYANG, assistant_over, edit, make_corpus

TODAY = date(2026, 12, 3)  # the demo policy in force, the Fuyang policy expired
FUYANG_DAYS = date(2024, 6, 1)  # the Fuyang policy in force, the demo not yet


def test_each_folder_is_a_policy_with_its_own_rules(tmp_path):
    library = load_library(make_corpus(tmp_path, FUYANG, DEMO))
    assert not library.problems
    assert [policy.doc_id for policy in library.policies] == [DEMO.name, FUYANG.name]
    demo = library.policy(DEMO.name)
    assert {rule.doc_id for rule in demo.rulebook.rules} == {DEMO.name}
    assert demo.rulebook.rule("demo_smart_warehouse").clause == "二、支持政策（二）"
    assert library.rulebook.rule("robot_purchase").doc_id == FUYANG.name
    assert library.validity(DEMO.name, TODAY) is Validity.IN_FORCE
    assert library.validity(FUYANG.name, TODAY) is Validity.EXPIRED
    assert library.validity(DEMO.name, FUYANG_DAYS) is Validity.NOT_YET
    assert [policy.doc_id for policy in library.successors(FUYANG.name)] == [DEMO.name]
    # A policy repealed by its doc_id is named by its title.
    assert demo.meta.repeals == [f"《{library.policy(FUYANG.name).meta.title}》"]


BROKEN = [
    # (file, old, new, the line the problem names (the first line holding it), words of the reason)
    ("policy.yaml", "in_force_from: 2026-01-01", "in_force_from: [2026", "in_force_until:", "not valid YAML"),
    ("policy.yaml", "in_force_until: 2028-12-31\n", "", "doc_id:", "in_force_until"),
    ("policy.yaml", "in_force_until: 2028-12-31", "in_force_until: 2028-13-31", "in_force_until:", "month"),
    ("policy.yaml", "doc_id: demo-smart-manufacturing-2026", "doc_id: another-name", "doc_id:", "folder's name"),
    ("rules.yaml", "按设备投资额的12%给予补助", "按设备投资额的20%给予补助", "按设备投资额的20%", "word for word"),
    ("rules.yaml", "clause: 二、支持政策（三）", "clause: 二、支持政策（九）", "（九）", "no clause"),
    ("rules.yaml", "    rate: 15%", "    rate: 15", "rate: 15", "比例"),
    (f"{DEMO.name}.txt", "15%", "16%", None, "SHA-256"),
]


def line_of(path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


@pytest.mark.parametrize(("file", "old", "new", "at", "reason"), BROKEN,
                         ids=["bad-yaml", "missing-date", "impossible-date", "wrong-doc-id", "quote-not-in-text",
                              "unknown-clause", "bare-rate", "text-changed"])
def test_a_malformed_policy_is_left_out_with_file_line_and_reason(tmp_path, file, old, new, at, reason):
    corpus = make_corpus(tmp_path, FUYANG, DEMO)
    path = corpus / "policies" / DEMO.name / file
    edit(path, old, new)
    library = load_library(corpus)
    assert [policy.doc_id for policy in library.policies] == [FUYANG.name]  # the other one still serves
    [problem] = library.problems
    assert problem.file == path.resolve()
    line = line_of(path, at) if at else None
    assert problem.line == line
    assert reason in problem.reason
    assert (f"{file}:{line}: " if line else f"{file}: ") in str(problem)


def test_a_line_of_the_text_that_fits_no_structure_is_named(tmp_path):
    corpus = make_corpus(tmp_path, DEMO)
    policy = corpus / "policies" / DEMO.name
    edit(policy / "policy.yaml", "received_sha256:", "# received_sha256:")
    text = policy / f"{DEMO.name}.txt"
    edit(text, "二、支持政策\n", "二、支持政策\n本部分的规定如下。\n")
    [problem] = load_library(corpus).problems
    assert problem.file.name == text.name and problem.line == line_of(text, "本部分的规定如下")
    assert "fits no part of the structure" in problem.reason


def test_an_item_outside_any_section_is_named_not_a_crash(tmp_path):
    corpus = make_corpus(tmp_path, FUYANG, DEMO)
    policy = corpus / "policies" / DEMO.name
    edit(policy / "policy.yaml", "received_sha256:", "# received_sha256:")
    text = policy / f"{DEMO.name}.txt"
    text.write_text(text.read_text(encoding="utf-8") + "（六）施行后补充的一项。\n", encoding="utf-8")
    library = load_library(corpus)
    assert [policy.doc_id for policy in library.policies] == [FUYANG.name]
    [problem] = library.problems
    assert problem.file.name == text.name and problem.line == line_of(text, "施行后补充的一项")
    assert "outside any numbered section" in problem.reason


def test_a_rule_id_another_policy_uses_is_a_problem_of_the_later_folder(tmp_path):
    corpus = make_corpus(tmp_path, DEMO)
    twin = corpus / "policies" / "zz-demo-twin"
    twin.mkdir()
    for path in DEMO.iterdir():
        if path.is_file():
            target = twin / path.name.replace(DEMO.name, "zz-demo-twin")
            target.write_text(path.read_text(encoding="utf-8").replace(DEMO.name, "zz-demo-twin"), encoding="utf-8")
    edit(twin / "policy.yaml", "received_sha256:", "# received_sha256:")
    library = load_library(corpus)
    assert [policy.doc_id for policy in library.policies] == [DEMO.name]
    [problem] = library.problems
    assert problem.file.name == "rules.yaml" and "already used by policy" in problem.reason


def test_two_assistants_in_one_process_compute_with_their_own_library(tmp_path):
    first = assistant_over(make_corpus(tmp_path / "a", DEMO), tmp_path / "data-a")
    second_corpus = make_corpus(tmp_path / "b", DEMO)
    policy = second_corpus / "policies" / DEMO.name
    edit(policy / "policy.yaml", "received_sha256:", "# received_sha256:")
    edit(policy / f"{DEMO.name}.txt", "按购置金额的15%给予补助", "按购置金额的20%给予补助")
    edit(policy / "rules.yaml", "按购置金额的15%给予补助", "按购置金额的20%给予补助")
    edit(policy / "rules.yaml", "rate: 15%", "rate: 20%")
    second = assistant_over(second_corpus, tmp_path / "data-b")
    question = "我们买了工业机器人，花了100万，能补多少"
    one, two = first.reply("s", question, TODAY), second.reply("s", question, TODAY)
    assert [c.amount_yuan for c in one.calculations] == [150_000]
    assert [c.amount_yuan for c in two.calculations] == [200_000]
    assert "20%" in two.answer and "15%" not in two.answer


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The Fuyang policy (expired on TODAY) beside the demo policy, which repeals it."""
    root = tmp_path_factory.mktemp("library")
    return assistant_over(make_corpus(root / "corpus", FUYANG, DEMO), root / "data")


def test_an_item_both_policies_have_is_answered_from_the_one_in_force(both):
    reply = both.reply("shared", "我们买了工业机器人花了200万，能补多少", TODAY)
    [calculation] = reply.calculations
    rule = both.rulebook.rule(calculation.item)
    assert rule.doc_id == DEMO.name and calculation.amount_yuan == float(Decimal(200_0000) * rule.rate)
    assert [citation.doc_id for citation in reply.citations] == [DEMO.name]
    # The expired policy's item of the same name is noted, with its status.
    assert any("富阳区“未来工厂”实施意见" in w and "失效" in w and "工业机器人购置补助" in w for w in reply.warnings)


def test_on_a_day_the_older_policy_was_in_force_the_same_words_mean_its_item(both):
    reply = both.reply("older", "我们买了工业机器人花了200万，能补多少", FUYANG_DAYS)
    [calculation] = reply.calculations
    assert calculation.item == "robot_purchase" and calculation.amount_yuan == 200_000


def test_an_item_only_the_expired_policy_has_carries_its_expiry_and_successor(both):
    reply = both.reply("iot", "工厂物联网项目投资200万补多少", TODAY)
    assert [c.item for c in reply.calculations] == ["factory_iot"]
    assert reply.citations[0].doc_id == FUYANG.name
    [warning] = reply.warnings
    assert "已过期" in warning and "智能制造提升措施（示例）" in warning and "替代" in warning


def test_the_new_policys_own_item_is_computed_from_its_own_rules(both):
    reply = both.reply("warehouse", "智能仓储改造设备投资300万，补多少", TODAY)
    [calculation] = reply.calculations
    rule = both.rulebook.rule("demo_smart_warehouse")
    assert calculation.item == rule.id and calculation.amount_yuan == float(Decimal(300_0000) * rule.rate)
    assert "智能制造提升措施（示例）" in reply.answer and reply.warnings == []


def test_a_policy_named_keeps_the_conversation_on_it(both):
    reply = both.reply("named", "《富阳区“未来工厂”实施意见》里面机器人补贴多少", TODAY)
    assert {c.doc_id for c in reply.citations} == {FUYANG.name}
    assert "10%" in reply.answer
    later = both.reply("named", "我们买了工业机器人花了200万，能补多少", TODAY)
    assert [c.item for c in later.calculations] == ["robot_purchase"]


@pytest.mark.parametrize("question", ["现在有哪些政策有效", "現在有哪些政策有效", "Which policies are in force now?"])
def test_which_policies_are_in_force(both, question):
    reply = both.reply("list", question, TODAY)
    lines = reply.answer.split("\n")
    in_force = next(i for i, line in enumerate(lines) if line.startswith(("现行有效", "現行有效", "In force")))
    expired = next(i for i, line in enumerate(lines) if line.startswith(("已失效", "Expired")))
    assert "示例" in lines[in_force + 1] and ("未来工厂" in lines[expired + 1] or "未來工廠" in lines[expired + 1]
                                             or "Future Factory" in lines[expired + 1])
    assert {c.doc_id for c in reply.citations} == {FUYANG.name, DEMO.name}


def test_the_policies_with_an_item_on_a_subject(both):
    reply = both.reply("robots", "有哪些支持机器人的政策", TODAY)
    assert "智能制造提升措施（示例）" in reply.answer and "富阳区“未来工厂”实施意见" in reply.answer
    assert reply.answer.index("示例") < reply.answer.index("未来工厂")  # in force first
    warehouse = both.reply("warehouse-list", "有哪些政策有仓储改造的补贴", TODAY)
    assert "智能仓储改造补助" in warehouse.answer and "未来工厂" not in warehouse.answer


def test_what_the_new_policy_replaced_and_when_it_ends(both):
    ends = both.reply("ends", "这个文件什么时候到期", TODAY)
    assert "2028年12月31日" in ends.answer and ends.citations[0].doc_id == DEMO.name
    replaced = both.reply("ends", "它替代了哪个文件", TODAY)
    assert "杭州市富阳区关于深入推进制造业数字化改造加快建设“未来工厂”的实施意见" in replaced.answer


def test_the_checkup_covers_every_policy_in_force_first(both):
    reply = both.reply("checkup", "政策体检：我们是小微企业，今年买了工业机器人花了300万", TODAY)
    assert [c.item for c in reply.calculations] == ["demo_robot_purchase"]  # amounts to apply for: in force
    assert reply.answer.index("智能制造提升措施（示例）") < reply.answer.index("富阳区“未来工厂”实施意见")
    assert "仅供参考" in reply.answer  # what the expired policy would have paid, marked as such


def test_the_catalogue_lists_the_library_in_force_first(both):
    entries = policy_entries(both.library, TODAY)
    assert [(e["doc_id"], e["status"]) for e in entries] == [(DEMO.name, "in_force"), (FUYANG.name, "expired")]
    assert entries[1]["replaced_by"] == [DEMO.name]
    assert {item["item"] for item in entries[0]["items"]} == {"demo_robot_purchase", "demo_smart_warehouse",
                                                              "demo_skills_training"}


def test_a_policy_is_named_by_title_short_title_alias_or_number(both):
    router = PolicyRouter(both.library)
    assert router.named("富阳区“未来工厂”实施意见还有效吗") == [FUYANG.name]
    assert router.named("未来工厂政策和智能制造提升措施有什么区别") == [FUYANG.name, DEMO.name]
    assert router.named("示例〔2026〕1号文件") == [DEMO.name]
    assert router.named("买机器人有补贴吗") == []
    assert router.without_names("《富阳区“未来工厂”实施意见》里面机器人补贴多少") == "该政策里面机器人补贴多少"


@pytest.mark.parametrize("question", ["有没有关于智能仓库的补贴政策", "Is there a policy on smart warehouses?"])
def test_whether_a_policy_covers_a_subject(both, question):
    reply = both.reply("covers", question, TODAY)
    assert {c.doc_id for c in reply.citations} == {DEMO.name}
    assert "智能仓储改造补助" in reply.answer or "Smart warehousing upgrade subsidy" in reply.answer


def test_which_policy_is_the_newer_one_is_answered_from_the_library(both):
    reply = both.reply("newer", "新政策是哪个文件，什么时候开始的", TODAY)
    assert "现行有效" in reply.answer and "2026年1月1日" in reply.answer
    assert reply.answer.index("智能制造提升措施（示例）") < reply.answer.index("富阳区“未来工厂”实施意见")


def test_the_apps_sources_name_the_policy_by_short_title_and_number(both):
    from assistant.web.chat_view import ClauseIndex, citation_html

    index = ClauseIndex(both.library, both.rulebook)
    reply = both.reply("sources", "智能仓储改造设备投资300万，补多少", TODAY)
    shown = citation_html(1, reply.citations[0], index)
    meta = both.library.policy(DEMO.name).meta
    assert f"{meta.short_title}（{meta.document_number}）" in shown and "二、支持政策（二）" in shown


def test_what_a_policy_does_not_state_warns_of_that_policy_alone(both):
    """On FUYANG_DAYS the demo is not yet in force: a question the Fuyang policy leaves open says
    nothing of the demo's dates."""
    reply = both.reply("unstated", "银行贷款能贷多少", FUYANG_DAYS)
    assert reply.status.value == "not_found" and reply.answer.startswith("政策原文没有规定")
    assert [c.doc_id for c in reply.citations] == [FUYANG.name]
    assert not any("智能制造提升措施" in warning for warning in reply.warnings)


def test_a_library_without_calculators_answers_money_questions_from_the_text(tmp_path):
    """Policies with no rules file: figures naming no calculator's item are read as a question."""
    from assistant.config import Settings
    from assistant.maintenance import scale_library
    from tests.conftest import build_fast_assistant

    scale_library.policy_folders(tmp_path / "corpus", 2 * scale_library.CLAUSES_PER_POLICY)
    assistant = build_fast_assistant(Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data"))
    assert not assistant.rulebook.rules
    for message in ("工业机器人买了420万补多少", "投了300万搞改造，能补多少"):
        reply = assistant.reply(None, message, TODAY)
        assert reply.status.value in {"answered", "not_found"}, (message, reply.answer)
        assert not reply.calculations
