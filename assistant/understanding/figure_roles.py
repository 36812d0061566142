"""Figures of a message with what each is: money spent or earned (a calculator input), money
already received, or a figure of the subsidy itself; the project part it is for; whether it is a
total; and what it does to the figures given before (set, correct, add, remove)."""

from __future__ import annotations

import re
from decimal import Decimal

import cn2an

from assistant.language.text import CLAUSE_BREAK, fold
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Vocabulary
from assistant.understanding.figures import find_figures
from assistant.understanding.question import Figure, FigureRole, Operation
from calculators import RuleBook

# The word that may join a figure to the part named right after it ("48万的设备", "300,000 for software").
_LEADING_CONNECTOR = re.compile(r"^\s*(?:yuan\s+)?(?:的|用于|用在|花在|投在|for|on|in|of)?\s*")
# How far after a figure a word making it a figure of the rule may stand ("200万的门槛").
RULE_WORD_REACH = 4


# After 个, words that make it a count of time or people, not of equipment ("两个月", "十几个人").
_NOT_UNITS = "月|小时|星期|礼拜|工作日|人|多月"
# How far from a price per unit its marker may stand: "每台45万" (before), "45万一台", "450,000 yuan each".
PER_UNIT_REACH = 6


class FigureReader:
    def __init__(self, vocabulary: Vocabulary, rulebook: RuleBook, tokenizer: Tokenizer) -> None:
        self.vocabulary = vocabulary
        self.rulebook = rulebook
        self.tokenizer = tokenizer
        self.item_words = {fold(word) for rule in rulebook.rules for word in (*rule.keywords.zh, *rule.keywords.en)}
        units = "|".join(sorted(map(re.escape, vocabulary.unit_words), key=len, reverse=True))
        # "六台", "8 robots": a count of units; "每台" has no number and is a price's marker instead.
        # English may put a word or two between ("3 industrial robots").
        letters = "".join(vocabulary.unit_letters) + "".join(vocabulary.unit_letters).upper()
        # "800w", "1.5W", "50k": a letter right after the digits, not the start of a word ("5G", "3kg").
        self._unit_letter = re.compile(rf"(?<=[0-9])[{re.escape(letters)}](?![a-zA-Z])") if letters else None
        # "the 500 yuan one-click cloud subsidy": an English figure standing before the name of a
        # subsidy, with no preposition between ("2 million yuan on robots" is money spent).
        money = "|".join(map(re.escape, vocabulary.money_nouns["general_en"]))
        self._names_subsidy = re.compile(
            rf"^\s*(?:yuan\s+|rmb\s+)?(?:(?!(?:on|for|in|of|to|with|at|into)\b)[a-z-]+\s+){{0,3}}(?:{money})\b")
        self._count = re.compile(
            rf"(?<![每单0-9.])([0-9]+|[一二两三四五六七八九十百]+)\s*(?:[a-z-]+\s+){{0,2}}(?:{units})(?![a-z]|{_NOT_UNITS})")

    def read(self, message: str, results: list[Decimal] | None = None) -> list[Figure]:
        """Each amount with its role and, for a project, its part. The words since the clause or
        the previous figure began can make it the whole: both parts named ("设备和软件合计300万",
        "软硬件一共300万") make it the projects' investment; a total word ("总投资500万", "一共",
        "3 million yuan in total") makes it the item's whole base unless its label names one
        part ("设备合计200万")."""
        vocabulary = self.vocabulary
        # The input every project item sums its parts into (investment_yuan), if they share one.
        wholes = {rule.base.input for rule in self.rulebook.rules if rule.base and rule.base.parts}
        whole = wholes.pop() if len(wholes) == 1 else None
        if self._unit_letter is not None:  # one character for one: spans stay where they were
            message = self._unit_letter.sub(lambda m: self.vocabulary.unit_letters[m.group(0).lower()], message)
        found_all = find_figures(message, self.tokenizer.words)
        figures: list[Figure] = []
        parts_after = self._parts_after(message, found_all)
        for index, found in enumerate(found_all):
            label = fold(found.label)
            lead = fold(CLAUSE_BREAK.split(message[found_all[index - 1].end if index else 0:found.start])[-1])
            following = found_all[index + 1].start if index + 1 < len(found_all) else len(message)
            trail = fold(CLAUSE_BREAK.split(message[found.end:following])[0])
            if (vocabulary.rule_figure_after.search(trail[:RULE_WORD_REACH]) or self._names_subsidy.match(trail)) \
                    and not vocabulary.received.search(label):
                role = FigureRole.SUBSIDY  # "200万的门槛": a figure of the rule, not money spent
            elif found.value_yuan in (results or []) and not vocabulary.spent.search(f"{lead}{trail}") \
                    and not vocabulary.received.search(label):
                role = FigureRole.SUBSIDY  # "那这个20万是怎么算的": an amount just calculated
            elif vocabulary.received.search(label):
                role = FigureRole.RECEIVED
            elif vocabulary.subsidy_figure.ends(label):
                # "已经拿了本项资助60万": a subsidy the enterprise says it received is money received.
                role = FigureRole.RECEIVED if vocabulary.received.search(lead) else FigureRole.SUBSIDY
            else:
                role = FigureRole.INPUT
            # English labels are cut to a few characters ("uipment cost"): read the last words too.
            named = " ".join([label, *lead.split()[-3:]]) if " " in lead else label
            part = parts_after[index] if parts_after else next(
                (name for name, cues in vocabulary.parts.items() if cues.search(named)), None)
            if part is None and not parts_after:
                # The label is the last word or two ("设备花了120万" → 花了): the part may stand before it
                # in the same clause, when only one part is named there.
                in_lead = [(name, hit) for name, cues in vocabulary.parts.items() if (hit := cues.search(lead))]
                # "设备联网的物联网项目投了90万": an item named after the part word is what the
                # figure is for; the part word only described it.
                part = in_lead[0][0] if len(in_lead) == 1 and not any(
                    word in lead[in_lead[0][1].end():] for word in self.item_words) else None
            both = vocabulary.both_parts.search(lead)
            both_after = vocabulary.both_parts.search(_LEADING_CONNECTOR.sub("", trail))
            # "设备和软件投入中设备200万": a part named after both parts is that part.
            if both and not any(cues.search(lead[both.end():]) for cues in vocabulary.parts.values()):
                part, total = whole, True
            elif both_after and both_after.start() == 0:
                part, total = whole, True  # "4.2 million yuan on equipment and software"
            else:
                after = vocabulary.total.search(trail)
                said_total = bool(vocabulary.total.search(lead) or (after and after.start() == 0))
                total = said_total and part is None
            operation = self._operation(f"{lead} {trail}", fold(message))
            taken_in = vocabulary.including.search(lead)
            if taken_in and vocabulary.total.search(lead[taken_in.end():]):
                # "加上软件一共是410万": the figure after the total word is the whole, with the part
                # named as taken in already in it, so it replaces the whole said before.
                part, total = None, True
                operation = Operation.CORRECT if operation is Operation.ADD else operation
            share = part is None and vocabulary.subset.search(lead) is not None
            if share and operation is Operation.SET:
                # "总收入3000万，其中1800万是服务富阳企业的": part of the figure before, said to be the
                # district's (it replaces the whole) or from elsewhere (it comes off the whole).
                operation = self._subset_operation(f"{lead} {trail}") or operation
            outside = part is None and not total and not share and role is FigureRole.INPUT \
                and vocabulary.outside_base.search(lead) is not None
            inputs_before = [f.value_yuan for f in figures if f.role is FigureRole.INPUT and not f.restates]
            restates = total and len(inputs_before) >= 2 and sum(inputs_before) == found.value_yuan
            update = {"role": role, "part": part, "total": total, "operation": operation, "share": share,
                      "outside_base": outside, "restates": restates}
            if role is FigureRole.INPUT and self._per_unit(lead, trail):
                update |= self._times_count(message, found, found_all)
            figures.append(found.model_copy(update=update))
        return figures

    def count_said(self, message: str) -> tuple[int, Operation] | None:
        """A count of units said with no money ("不对，是5台", "要是再多买2套呢"): the count and what it
        does to the units counted before (corrects them, adds to them)."""
        text = fold(message)
        counts = [(m, count) for m in self._count.finditer(text) if (count := self._count_value(m.group(1)))]
        if len(counts) != 1:
            return None
        return counts[0][1], self._operation(text, text)

    def _subset_operation(self, clause: str) -> Operation | None:
        if self.vocabulary.from_elsewhere.search(clause) or any(p in clause for p in self.vocabulary.elsewhere):
            return Operation.REMOVE
        if any(place in clause for place in self.vocabulary.home_places):
            return Operation.CORRECT
        return None

    def _per_unit(self, lead: str, trail: str) -> bool:
        before = self.vocabulary.per_unit.search(lead[-PER_UNIT_REACH:])
        after = self.vocabulary.per_unit.search(trail[:PER_UNIT_REACH + 4])
        return before is not None or (after is not None and after.start() <= 2)

    def _times_count(self, message: str, found: Figure, found_all: list[Figure]) -> dict:
        """A price per unit times the count of units nearest before it ("六台…每台45万" → 270万),
        else the first after it; unchanged when the message gives none."""
        text = fold(message)
        counts = [(m.start(), count) for m in self._count.finditer(text)
                  if not any(f.start <= m.start() < f.end for f in found_all)
                  and (count := self._count_value(m.group(1))) is not None]
        if not counts:
            return {}
        # The count said last before the price ("6台…一台45万"), else the first after it ("每台45万，共6台").
        before = [count for start, count in counts if start < found.start]
        count = before[-1] if before else counts[0][1]
        return {"value_yuan": found.value_yuan * count, "count": count}

    @staticmethod
    def _count_value(numeral: str) -> int | None:
        try:
            value = int(numeral) if numeral.isdigit() else int(cn2an.cn2an(numeral, "smart"))
        except (ValueError, KeyError):
            return None
        return value if value > 1 else None

    def _parts_after(self, message: str, found_all: list[Figure]) -> list[str | None]:
        """"48万设备加12万软件": parts named right after their figures. Chosen for the whole message
        when the first figure with a part has none before it and one right after it; empty when
        parts stand before their figures, as usual ("设备48万，软件12万")."""
        before, after = [], []
        for index, found in enumerate(found_all):
            start = found_all[index - 1].end if index else 0
            lead = fold(CLAUSE_BREAK.split(message[start:found.start])[-1])
            end = found_all[index + 1].start if index + 1 < len(found_all) else len(message)
            trail = _LEADING_CONNECTOR.sub("", fold(message[found.end:end]))
            before.append(next((n for n, cues in self.vocabulary.parts.items() if cues.search(lead)), None))
            after.append(next((n for n, cues in self.vocabulary.parts.items()
                               if (m := cues.search(trail)) and m.start() == 0), None))
        first = next((i for i in range(len(found_all)) if before[i] or after[i]), None)
        if first is None or before[first] or not after[first]:
            return []
        return after

    def _operation(self, clause: str, message: str) -> Operation:
        """What the figure does to the figures given before: the operation named in its own
        clause, else in the message ("不对，应该是250万"), else it sets its input."""
        for where in (clause, message):
            found = [(match.start(), Operation(name)) for name, cues in self.vocabulary.operations.items()
                     if (match := cues.search(where))]
            if found:
                # A correction wins over the words it corrects ("不对，不是再加20万，是30万").
                named = {operation for _, operation in found}
                return Operation.CORRECT if Operation.CORRECT in named else min(found)[1]
        return Operation.SET
