"""What a subsidy item's rule says, in sentences: its rate, cap, threshold, tiers, scope and
what it deducts — built from the policy's rules.yaml, never from a guess, in the words of the
wording catalogues (Chinese and English)."""

from __future__ import annotations

from decimal import Decimal

from assistant.answering.english import rate_en, yuan_en
from assistant.language.text import Script
from assistant.language.wording import wording
from calculators import Rule, format_rate, format_yuan


class RuleFacts:
    """Sentences about one rule in one language, from the wording catalogue."""

    def __init__(self, rule: Rule, english: bool) -> None:
        self.rule = rule
        self.english = english
        self.say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)

    @property
    def title(self) -> str:
        return self.rule.title_en if self.english else self.rule.title

    def _money(self, amount: Decimal) -> str:
        return yuan_en(amount) if self.english else format_yuan(amount)

    def _sentence(self, text: str) -> str:
        return self.say("rule.sentence", title=self.title, text=text)

    def rate(self) -> str | None:
        rule = self.rule
        if rule.rate is None or rule.base is None:
            return None
        base = rule.input(rule.base.input).label.en.lower() if self.english else rule.base.label
        return self.say("rule.rate", base=base, rate=rate_en(rule.rate) if self.english else format_rate(rule.rate))

    def cap(self) -> str | None:
        rule = self.rule
        if rule.cap_yuan is None:
            return None
        scope = self.say(f"rule.scope.{rule.cap_scope.value}") if rule.cap_scope else ""
        return self.say("rule.cap", amount=self._money(rule.cap_yuan), scope=f" {scope}" if scope and self.english
                        else scope)

    def threshold(self) -> str | None:
        rule = self.rule
        if rule.threshold is None or rule.base is None:
            return None
        base = rule.input(rule.base.input).label.en.lower() if self.english else rule.base.label
        key = "rule.threshold_inclusive" if rule.threshold.inclusive else "rule.threshold_exclusive"
        return self.say(key, base=base, amount=self._money(rule.threshold.amount_yuan))

    def tiers(self, level: str | None = None) -> str | None:
        rule = self.rule
        if not rule.tiers or rule.tier_input is None:
            return None
        spec = rule.input(rule.tier_input)
        parts = []
        for tier in (tier for tier in rule.tiers if level in (None, tier.level)):
            choice = spec.choice(tier.level).label
            parts.append(self.say("rule.tier_up_to" if tier.up_to else "rule.tier",
                                  level=choice.en if self.english else choice.zh, amount=self._money(tier.amount_yuan)))
        return self.say.join(parts, "rule.tier_separator")

    def qualifiers(self) -> list[str]:
        """What changes the amount: tiers paid by difference, money from the province and city."""
        found = []
        if self.rule.previous_tier_input:
            found.append(self.say("rule.by_difference"))
        if self.rule.deduction_input:
            found.append(self.say("rule.with_other_government"))
        return found

    def conditions(self, stated: dict[str, bool]) -> list[str]:
        """The item's conditions: with facts stated ("如果是小微企业呢"), whether each condition they
        settle is met; with none, every condition the clause sets."""
        rule, english = self.rule, self.english
        if not stated:
            texts = [c.text.en if english else c.text.zh for c in rule.conditions]
            threshold = self.threshold()
            texts = ([threshold] if threshold else []) + texts
            if not texts:
                return []
            return [self.say("rule.conditions", title=self.title, conditions=self.say.join(texts, "rule.separator"))]
        lines = []
        for condition in rule.conditions:
            field = rule.input(condition.input).profile_field
            if condition.expect is None or field not in stated:
                continue
            met = stated[field] is condition.expect
            lines.append(self.say("rule.condition_met" if met else "rule.condition_not_met", title=self.title,
                                  condition=condition.text.en if english else condition.text.zh,
                                  reason=condition.reason))
        return lines

    def no_figure(self) -> str | None:
        rule = self.rule
        if rule.calculation != "no_figure":
            return None
        # The explanation in rules.yaml says what the clause does set, if anything.
        return self.say("rule.no_figure", title=self.title, explanation=rule.explanation)

    def summary(self) -> str:
        """Everything the rule pays, in one sentence."""
        if self.rule.calculation == "no_figure":
            return self.no_figure() or ""
        if self.rule.calculation == "fixed" and self.rule.amount_yuan is not None:
            amount = self._money(self.rule.amount_yuan)
            scope = self.rule.cap_scope
            # "单个企业每年只享受1次": a fixed amount's scope is how often it is paid.
            pieces = [self.say(f"rule.fixed_scope.{scope.value}", amount=amount) if scope is not None else amount]
        else:
            pieces = [p for p in (self.threshold(), self.rate(), self.cap(), self.tiers()) if p]
        pieces += self.qualifiers()
        return self._sentence(self.say.join(pieces, "rule.separator"))

    def asked(self, kind: str, level: str | None = None) -> str:
        """The sentence that answers one kind of question about this item."""
        if self.rule.calculation == "no_figure" and kind in {"amount", "rate", "cap"}:
            return self.no_figure() or ""
        found = {"rate": self.rate, "cap": self.cap, "threshold": self.threshold}.get(kind)
        if found is not None:
            text = found() or self.say(f"rule.no_{kind}")
            if kind == "rate" and self.rule.tiers:
                text = self.say("rule.rate_by_level", text=text, tiers=self.tiers())
            return self._sentence(text)
        if level and self.rule.tiers:
            return self._sentence(self.say.join([t for t in (self.tiers(level), *self.qualifiers()) if t],
                                                "rule.separator"))
        return self.summary()
