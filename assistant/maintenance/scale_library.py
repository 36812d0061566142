"""Policy-like clauses and vectors made up for the scale bench (scale_bench.py).

Every clause is a function of its row and a seed, so a bench process fetches a clause's text by
its key without holding the library, and a build run again produces the same library. Texts
follow the sentence shapes of subsidy clauses (scope, conditions, rate and cap, procedure) over a
vocabulary of made-up items, places and industries large enough that words are as spread out as
in a province's library. Vectors have the embedding model's dimension and are grouped around
topics, so nearest-neighbour search meets the structure real clauses have; they are not the
model's vectors, which at ~25 clauses/s would take an hour for 100,000 clauses."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml

from assistant.config import REPO_ROOT
from assistant.corpus.documents import Clause
from assistant.corpus.library import POLICIES
from assistant.corpus.policy import METADATA
from assistant.retrieval.lexical_store import Passage

CLAUSES_PER_POLICY = 50
DIMENSION = 384  # multilingual-e5-small
TOPICS = 200
_MORPHEMES = ("智能 数字 绿色 低碳 工业 制造 装备 材料 能源 信息 网络 平台 服务 物流 仓储 检测 设计 研发 "
              "创新 孵化 园区 车间 工厂 产线 设备 软件 数据 云端 机器 机器人 传感 控制 电子 光伏 储能 "
              "新材料 生物 医药 纺织 造纸 化工 汽车 零部件 船舶 航空 食品 农业 文旅 商贸 金融 人才 "
              "技能 培训 标准 品牌 质量 安全 节能 环保 循环 改造 升级 集群 链主 专精 特新 小巨人").split()
_PLACES = "东城 西湖 南岸 北山 江滨 新港 临湖 青田 白沙 云溪 金桥 银河 凤凰 龙泉 松阳 梅溪".split()
_SUBJECTS = "企业 项目 单位 机构 园区 平台 团队 个人".split()
_TEMPLATES = (
    "对{place}{industry}{subject}实施{item}项目，{threshold}的，按{base}的{rate}%给予补助，单个{subject}最高不超过{cap}万元。",
    "{subject}获评{level}{item}的，给予一次性奖励{cap}万元；已获{level2}奖励的，按差额补足。",
    "支持{industry}{subject}开展{item}，经认定后按实际投入的{rate}%给予资助，每年最高{cap}万元。",
    "申报{item}补助的{subject}，应提交申请表、{material}、{material2}等材料，由{place}{department}受理审核。",
    "本条所称{item}，是指{subject}围绕{industry}开展的{item2}活动，具体认定标准由{department}另行制定。",
    "{subject}在{place}新建{industry}{item}的，自投产之日起{years}年内按其地方贡献的{rate}%给予扶持。",
)
_LEVELS = "国家级 省级 市级 区级".split()
_MATERIALS = "营业执照 审计报告 项目合同 发票 验收报告 设备清单 银行流水 承诺书".split()
_DEPARTMENTS = "经信局 科技局 财政局 商务局 发改局 人社局".split()


def _item(rng: random.Random) -> str:
    return "".join(rng.sample(_MORPHEMES, rng.choice((2, 2, 3))))


def clause_text(row: int, seed: int = 0) -> str:
    rng = random.Random(seed * 1_000_003 + row)
    template = rng.choice(_TEMPLATES)
    return template.format(
        place=rng.choice(_PLACES), industry=rng.choice(_MORPHEMES), subject=rng.choice(_SUBJECTS),
        item=_item(rng), item2=_item(rng), threshold=f"投资额在{rng.randrange(50, 5000, 50)}万元以上",
        base=rng.choice(("设备投资额", "软件投入", "项目总投资", "购置金额")),
        rate=rng.choice((3, 5, 8, 10, 15, 20, 30)),
        cap=rng.randrange(10, 1000, 10), level=rng.choice(_LEVELS), level2=rng.choice(_LEVELS),
        material=rng.choice(_MATERIALS), material2=rng.choice(_MATERIALS), department=rng.choice(_DEPARTMENTS),
        years=rng.choice((2, 3, 5)))


def clause_key_of(row: int) -> str:
    policy, item = divmod(row, CLAUSES_PER_POLICY)
    return f"generated-{policy:05d}:s{1 + item // 10}.i{1 + item % 10}"


def row_of(key: str) -> int | None:
    try:
        doc, clause = key.split(":")
        section, item = clause[1:].split(".i")
        return int(doc.rsplit("-", 1)[1]) * CLAUSES_PER_POLICY + (int(section) - 1) * 10 + int(item) - 1
    except (ValueError, IndexError):
        return None


_SECTIONS = ("适用范围", "支持政策", "认定奖励", "申报程序", "监督管理")
_NUMERALS = "一二三四五六七八九十"


def policy_folders(corpus_dir: Path, count: int, seed: int = 0) -> None:
    """A corpus of generated policy folders as `policy-assistant index` reads them: 50 clauses a
    policy (five sections of ten items, the keys of `clause_key_of`), the real vocabulary linked
    in. Each policy is made up and marked so."""
    (corpus_dir / POLICIES).mkdir(parents=True, exist_ok=True)
    vocabulary = corpus_dir / "vocabulary"
    if not vocabulary.exists():
        vocabulary.symlink_to(REPO_ROOT / "corpus" / "vocabulary", target_is_directory=True)
    for policy in range((count + CLAUSES_PER_POLICY - 1) // CLAUSES_PER_POLICY):
        doc_id = clause_key_of(policy * CLAUSES_PER_POLICY).split(":")[0]
        title = f"第{policy + 1}号生成区制造业发展若干措施"
        lines = [title, f"为演示政策库的规模而生成本措施（第{policy + 1}号），不是正式发布的政策文件。"]
        rows = range(policy * CLAUSES_PER_POLICY, min(count, (policy + 1) * CLAUSES_PER_POLICY))
        for row in rows:
            section, item = divmod(row % CLAUSES_PER_POLICY, 10)
            if item == 0:
                lines.append(f"{_NUMERALS[section]}、{_SECTIONS[section]}")
            lines.append(f"({_NUMERALS[item]}){clause_text(row, seed)}")
        lines.append("本措施自2026年1月1日起施行，有效期至2028年12月31日。")
        folder = corpus_dir / POLICIES / doc_id
        folder.mkdir(exist_ok=True)
        (folder / f"{doc_id}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / METADATA).write_text(yaml.safe_dump({
            "doc_id": doc_id, "file": f"{doc_id}.txt", "title": title, "short_title": f"生成措施{policy + 1}",
            "document_number": f"生成〔2026〕{policy + 1}号", "issuer": "生成区人民政府办公室（示例）",
            "document_type": "若干措施", "issued": "2025-12-20", "in_force_from": "2026-01-01",
            "in_force_until": "2028-12-31", "department": "区经信局"}, allow_unicode=True), encoding="utf-8")


def passages(count: int, seed: int = 0) -> list[Passage]:
    return [Passage(clause_key_of(row), clause_text(row, seed)) for row in range(count)]


def vector_batches(count: int, seed: int = 0, batch: int = 1000) -> Iterator[np.ndarray]:
    """Unit vectors near one of TOPICS centres each, `batch` rows at a time, the same on every run."""
    centres = np.random.default_rng(seed).standard_normal((TOPICS, DIMENSION))
    for start in range(0, count, batch):
        rng = np.random.default_rng((seed, start))
        rows = min(batch, count - start)
        vectors = centres[rng.integers(0, TOPICS, rows)] + 0.8 * rng.standard_normal((rows, DIMENSION))
        yield (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


class GeneratedClauses:
    """The retriever's clause lookup over a generated library: a clause is made when fetched."""

    def __init__(self, count: int, seed: int = 0) -> None:
        self.count = count
        self.seed = seed

    def clause(self, key: str) -> Clause | None:
        row = row_of(key)
        if row is None or not 0 <= row < self.count:
            return None
        doc_id, clause_id = key.split(":")
        text = clause_text(row, self.seed)
        return Clause(doc_id=doc_id, clause_id=clause_id, location=clause_id, kind="item", section="", text=text,
                      search_text=text, start=0, end=len(text))

    def clause_at(self, ref) -> Clause | None:
        return None

    def title(self, doc_id: str) -> str:
        return f"生成的政策 {doc_id}"
