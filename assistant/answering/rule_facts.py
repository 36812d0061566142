"""What a subsidy item's rule says, in sentences: its rate, cap, threshold, tiers, scope and
what it deducts — built from calculators/rules.yaml, never from a guess. Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from assistant.answering.english import rate_en, yuan_en
from calculators import Rule, format_rate, format_yuan
from calculators.models import Scope

SCOPE_ZH = {Scope.per_project: "单个项目", Scope.per_enterprise: "单个企业",
            Scope.per_enterprise_per_year: "单个企业每年", Scope.once_per_enterprise: "单个企业（限1次）"}
SCOPE_EN = {Scope.per_project: "per project", Scope.per_enterprise: "per enterprise",
            Scope.per_enterprise_per_year: "per enterprise per year",
            Scope.once_per_enterprise: "once per enterprise"}


# How often a fixed amount is paid, by its scope.
FIXED_SCOPE_ZH = {Scope.per_project: "每个项目", Scope.per_enterprise: "每家企业",
                  Scope.per_enterprise_per_year: "单个企业每年限1次，每次",
                  Scope.once_per_enterprise: "单个企业限1次，"}
FIXED_SCOPE_EN = {Scope.per_project: "per project", Scope.per_enterprise: "per enterprise",
                  Scope.per_enterprise_per_year: "each time, once a year per enterprise",
                  Scope.once_per_enterprise: "once per enterprise"}


class RuleFacts:
    """Sentences about one rule in one language ("zh" or "en")."""

    def __init__(self, rule: Rule, english: bool) -> None:
        self.rule = rule
        self.english = english

    @property
    def title(self) -> str:
        return self.rule.title_en if self.english else self.rule.title

    def _money(self, amount: Decimal) -> str:
        return yuan_en(amount) if self.english else format_yuan(amount)

    def rate(self) -> str | None:
        rule = self.rule
        if rule.rate is None or rule.base is None:
            return None
        base = rule.input(rule.base.input).label
        if self.english:
            return f"{rate_en(rule.rate)} of the {base.en.lower()}"
        return f"按{rule.base.label}的{format_rate(rule.rate)}给予补助"

    def cap(self) -> str | None:
        rule = self.rule
        if rule.cap_yuan is None:
            return None
        scope = rule.cap_scope
        if self.english:
            where = f" {SCOPE_EN[scope]}" if scope else ""
            return f"at most {self._money(rule.cap_yuan)}{where}"
        return f"{SCOPE_ZH[scope] if scope else ''}最高{self._money(rule.cap_yuan)}"

    def threshold(self) -> str | None:
        rule = self.rule
        if rule.threshold is None or rule.base is None:
            return None
        amount = self._money(rule.threshold.amount_yuan)
        if self.english:
            base = rule.input(rule.base.input).label.en.lower()
            comparison = "at least" if rule.threshold.inclusive else "more than"
            return f"only for a {base} of {comparison} {amount}"
        wording = f"{amount}以上（含本数）" if rule.threshold.inclusive else f"超过{amount}"
        return f"{rule.base.label}须在{wording}"

    def tiers(self, level: str | None = None) -> str | None:
        rule = self.rule
        if not rule.tiers or rule.tier_input is None:
            return None
        spec = rule.input(rule.tier_input)
        shown = [tier for tier in rule.tiers if level in (None, tier.level)]
        parts = []
        for tier in shown:
            choice = spec.choice(tier.level).label
            label = choice.en if self.english else choice.zh
            if self.english:
                parts.append(f"{label}: {'up to ' if tier.up_to else ''}{self._money(tier.amount_yuan)}")
            else:
                parts.append(f"{label}{'不超过' if tier.up_to else ''}{self._money(tier.amount_yuan)}")
        return "; ".join(parts) if self.english else "，".join(parts)

    def qualifiers(self) -> list[str]:
        """What changes the amount: tiers paid by difference, money from the province and city."""
        rule, english = self.rule, self.english
        found = []
        if rule.previous_tier_input:
            found.append("moving up a level pays only the difference to the level already paid (进档差额)"
                         if english else "补助资金按进档差额执行（升档只补差额）")
        if rule.deduction_input:
            found.append("the amount includes the provincial and city money (含省市补助)"
                         if english else "金额含省市补助")
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
            joined = "; ".join(texts) if english else "；".join(texts)
            return [f"{self.title} — conditions: {joined}." if english else f"{self.title}的条件：{joined}。"]
        lines = []
        for condition in rule.conditions:
            field = rule.input(condition.input).profile_field
            if condition.expect is None or field not in stated:
                continue
            met = stated[field] is condition.expect
            text = condition.text.en if english else condition.text.zh
            if english:
                lines.append(f"{self.title}: “{text}” — {'met' if met else 'not met'}.")
            else:
                lines.append(f"{self.title}：条件“{text}”——{'符合' if met else '不符合，' + condition.reason}。")
        return lines

    def no_figure(self) -> str | None:
        rule = self.rule
        if rule.calculation != "no_figure":
            return None
        if self.english:
            return f"{self.title}: the policy provides this support but sets no amount of its own for it."
        # The explanation in rules.yaml says what the clause does set, if anything.
        return f"{self.title}：政策没有规定具体金额。{rule.explanation}。"

    def summary(self) -> str:
        """Everything the rule pays, in one sentence."""
        if self.rule.calculation == "no_figure":
            return self.no_figure() or ""
        if self.rule.calculation == "fixed" and self.rule.amount_yuan is not None:
            pieces = [self._money(self.rule.amount_yuan)]
            scope = self.rule.cap_scope
            if scope is not None:
                # "单个企业每年只享受1次": a fixed amount's scope is how often it is paid.
                pieces = [f"{pieces[0]} {FIXED_SCOPE_EN[scope]}" if self.english
                          else f"{FIXED_SCOPE_ZH[scope]}{pieces[0]}"]
        else:
            pieces = [p for p in (self.threshold(), self.rate(), self.cap(), self.tiers()) if p]
        pieces += self.qualifiers()
        joiner = "; " if self.english else "；"
        return f"{self.title}: {joiner.join(pieces)}." if self.english else f"{self.title}：{joiner.join(pieces)}。"

    def asked(self, kind: str, level: str | None = None) -> str:
        """The sentence that answers one kind of question about this item."""
        none_zh = {"rate": "没有规定比例", "cap": "没有规定上限", "threshold": "没有规定投入门槛"}
        none_en = {"rate": "sets no rate", "cap": "sets no cap", "threshold": "sets no minimum"}
        if self.rule.calculation == "no_figure" and kind in {"amount", "rate", "cap"}:
            return self.no_figure() or ""
        found = {"rate": self.rate, "cap": self.cap, "threshold": self.threshold}.get(kind)
        if found is not None:
            text = found()
            if text is None:
                text = f"the policy {none_en[kind]}" if self.english else f"政策{none_zh[kind]}"
            if kind == "rate" and self.rule.tiers:
                text += (f" — it pays fixed amounts by level: {self.tiers()}" if self.english
                         else f"，按认定等级给予固定金额：{self.tiers()}")
            return f"{self.title}: {text}." if self.english else f"{self.title}：{text}。"
        if level and self.rule.tiers:
            tier = self.tiers(level)
            extra = self.qualifiers()
            joiner = "; " if self.english else "；"
            text = joiner.join([t for t in (tier, *extra) if t])
            return f"{self.title}: {text}." if self.english else f"{self.title}：{text}。"
        return self.summary()
