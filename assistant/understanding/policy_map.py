"""What the policy states, built once from its clauses, the calculator rules and the document
metadata: which money subjects it sets figures for, which subjects it speaks of at all, and which
earlier documents it names. A question is read against it, so "the policy does not state this"
is a lookup in the policy's own text rather than a list of questions someone has seen.

A money subject is a word that names money ("房租补贴", "专家费", "贴息", "利率"; the endings are
`money_nouns` in cues.yaml). The policy states it when the word itself is in the text, when the
word before the ending names a subsidy item (rules.yaml keywords), or when it stands in one of
the text's sentences that carry a money figure ("设备补贴": 设备 is in the sentence that sets the
projects' 10% and 15%). "培训补贴" is not stated: 培训 stands only in sentences without money."""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.corpus.documents import DocumentMeta
from assistant.language.text import CLAUSE_BREAK, MONEY_FIGURE, SENTENCE_END, fold
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Cues, Vocabulary
from calculators import RuleBook

# A sentence of the policy that sets money: an amount in 元 or a rate.
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_YEAR = re.compile(r"(?:19|20)\d{2}")
# Level words ("国家级" before "国家": the longer first).
_LEVEL_WORD = re.compile(r"国家级|省级|市级|区级|县级")
# How far before an item's name a level word may stand ("市级的工业互联网平台").
LEVEL_REACH = 2
# A name the policy gives in quotes ("“聚能工厂”").
_QUOTED_NAME = re.compile(r"[“\"]([\u4e00-\u9fff]{2,8})[”\"]")
# The word before a money ending must be a word of its own to name a subject: "房租补贴" (房租),
# not "免费" or "经费", whose one character before 费 makes one word with it.
SUBJECT_MIN_CHARS = 2
# jieba's noun flags (common, proper, verbal and organisation nouns, abbreviations such as 研发,
# set phrases): only a noun right before a money word names what the money is for ("培训补贴");
# "具体补助", "另外奖励", "申请补贴" do not.
NOUN_FLAGS = frozenset({"n", "nz", "vn", "nr", "nt", "ng", "nrt", "j", "l"})
# jieba flags of words that name nothing a rule could turn on: pronouns, times, places in time,
# prepositions, particles, modal words.
NAME_ENDING_FLAGS = frozenset({"r", "p", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "e", "c", "x", "v"})
FUNCTION_FLAGS = frozenset({"r", "t", "tg", "p", "f", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "e", "c", "d", "q"})
# English words before "subsidy" that name no kind of money: articles, pronouns, question words,
# amounts and scopes ("the subsidy", "what subsidy", "maximum grant", "one-off reward").
ENGLISH_NOT_SUBJECTS = frozenset({
    "yuan", "rmb", "million", "thousand", "billion", "hundred", "percent",
    "a", "an", "the", "this", "that", "these", "those", "any", "some", "no", "our", "my", "your", "their", "its",
    "what", "which", "whose", "how", "much", "many", "each", "every", "total", "maximum", "minimum", "max", "min",
    "full", "extra", "additional", "further", "other", "another", "same", "such", "one-off", "one-time", "annual",
    "yearly", "special", "possible", "potential", "available", "applicable", "relevant", "government", "district",
    "city", "city-level", "provincial", "national", "local", "fuyang", "policy", "of", "for", "in", "on", "to",
    "get", "got", "receive", "received", "claim", "apply", "is", "are", "was", "be", "can", "we", "i", "you",
    "and", "or", "with", "as", "at", "by", "from", "up", "cash", "financial", "direct", "public", "one", "two",
    # Halves of hyphenated words, which folding splits ("one off", "one time", "city level").
    "off", "time", "level", "lump", "sum",
})
# A counted amount ("三台", "两套", "10个"): what is counted, not a kind of thing.
_COUNTED = re.compile(r"[0-9一二三四五六七八九十两几百千万]+[个台套件家项次年月天元万条批]?")


class PolicyMap:
    def __init__(self, text: str, metas: Iterable[DocumentMeta], rulebook: RuleBook, vocabulary: Vocabulary,
                 tokenizer: Tokenizer, english_terms: Iterable[tuple[str, str]] = ()) -> None:
        """`text` is every clause's searched text, a line each (Library.search_text, which a
        snapshot holds ready). `english_terms` are the policy's terms in agreed English (zh, en),
        as the glossary holds them: a subject named in English is looked up through them."""
        self.tokenizer = tokenizer
        self.text = text
        # A line ends a sentence too (SENTENCE_END), so no sentence runs from one clause into the next.
        self.money_sentences = [sentence for sentence in SENTENCE_END.split(text) if MONEY_FIGURE.search(sentence)]
        self.item_words = {fold(word) for rule in rulebook.rules for word in rule.keywords.zh}
        nouns = {*vocabulary.money_nouns["general"], *vocabulary.money_nouns["specific"]}
        self.money_nouns = sorted(nouns, key=len, reverse=True)
        self.specific_money = frozenset(vocabulary.money_nouns["specific"])
        self.references = tuple(vocabulary.money_nouns["references"])
        self.links = frozenset(vocabulary.money_nouns["links"])
        self.question_words = vocabulary.question_words
        self.asked = vocabulary.asked
        self.other_government = vocabulary.other_government
        self.enterprise_nouns = vocabulary.enterprise_nouns
        self.unpaid_levels = self._unpaid_levels(text, rulebook)
        # Per ladder item: its clause, the level words its levels start with (市级, 省级), its keywords.
        # A level's name or alias may carry the word ("省级上云标杆企业", alias "省级" of 省认定的试点示范).
        self.ladders = {rule.id: (rule.clause, {m.group(0) for choice in rule.input(rule.tier_input).choices or []
                                                for name in (choice.label.zh, *choice.aliases)
                                                if (m := _LEVEL_WORD.match(fold(name)))},
                                  sorted({fold(w) for w in rule.keywords.zh}, key=len, reverse=True))
                        for rule in rulebook.rules if rule.calculation == "tiered" and rule.tier_input}
        # English: the rules' own English (titles, keywords, input labels) and the glossary's.
        self.english_terms = [(fold(zh), en.lower()) for zh, en in english_terms]
        # Each unpaid name as the policy writes it or in its agreed English, compiled once.
        self._unpaid_names = {name: re.compile("|".join([re.escape(name), *(
            rf"\b{re.escape(en)}\b" for zh, en in self.english_terms if zh == name)]))
            for name in self.unpaid_levels}
        self.rules_english = " ".join(
            [rule.title_en.lower() for rule in rulebook.rules]
            + [word.lower() for rule in rulebook.rules for word in rule.keywords.en]
            + [spec.label.en.lower() for rule in rulebook.rules for spec in rule.inputs])
        general_en = sorted(vocabulary.money_nouns["general_en"], key=len, reverse=True)
        self._english_money = re.compile(
            rf"(?<![a-z-])([a-z][a-z-]+)\s+(?:{'|'.join(map(re.escape, general_en))})\b")
        # "subsidy for employee training": the subject after the money word.
        self._english_money_for = re.compile(
            rf"\b(?:{'|'.join(map(re.escape, general_en))})\s+(?:for|on|towards?)\s+"
            rf"(?:(?:the|our|an?|any|some|its|their|my)\s+)?([a-z][a-z-]+)(?:\s+([a-z][a-z-]+))?")
        self._english_specific = [(word, re.compile(rf"\b{re.escape(word)}\b"))
                                  for word in vocabulary.money_nouns["specific_en"]]
        # Years in the titles of the documents these policies repealed ("2019-2021年" → 2019, 2020, 2021).
        self.repealed_years: set[int] = set()
        for meta in metas:
            years = [int(y) for y in _YEAR.findall(meta.repeals_text)]
            if years:
                self.repealed_years |= set(range(min(years), max(years) + 1))

    @staticmethod
    def _unpaid_levels(text: str, rulebook: RuleBook) -> dict[str, str]:
        """Names the policy gives in quotes to kinds of the same family as the levels a ladder pays
        (…工厂, …车间), that no ladder pays and no item is named by: "聚能工厂", "云端工厂" →
        the clause of the ladder that pays the others. A question for their amount is one the
        policy does not answer."""
        quoted = {fold(name) for name in _QUOTED_NAME.findall(text)}
        keywords = {fold(word) for rule in rulebook.rules for word in rule.keywords.zh}
        unpaid: dict[str, str] = {}
        for rule in rulebook.rules:
            if rule.calculation != "tiered" or rule.tier_input is None:
                continue
            paid = {fold(name) for choice in rule.input(rule.tier_input).choices or []
                    for name in _QUOTED_NAME.findall(choice.label.zh)}
            endings = {name[-2:] for name in paid}
            for name in quoted - paid - keywords:
                if name[-2:] in endings:
                    unpaid.setdefault(name, rule.clause)
        return unpaid

    def unpaid_ladder_levels(self, folded: str, items: list[str]) -> dict[str, str]:
        """A level word the item's ladder does not have, right before the item's name ("国家级上云
        标杆企业": the ladder pays 省级 and 市级 only), with the ladder's clause."""
        found: dict[str, str] = {}
        for item in items:
            if item not in self.ladders:
                continue
            clause, levels, keywords = self.ladders[item]
            for match in _LEVEL_WORD.finditer(folded):
                after = folded[match.end():match.end() + LEVEL_REACH + max(map(len, keywords))]
                keyword = next((k for k in keywords if k in after[:LEVEL_REACH + len(k)]), None)
                if keyword and match.group(0) not in levels and not any(level in after[:2] for level in levels):
                    found[match.group(0) + keyword] = clause
        return found

    def unpaid_named(self, folded: str) -> dict[str, str]:
        """The unpaid names a question uses, in Chinese or in their agreed English ("cloud factory"),
        each with the clause of the ladder beside it."""
        return {name: clause for name, clause in self.unpaid_levels.items() if self._unpaid_names[name].search(folded)}

    def without_unpaid(self, folded: str) -> str:
        """The text with the unpaid names taken out: "cloud" in "cloud factory" names no item."""
        for pattern in self._unpaid_names.values():
            folded = pattern.sub(" ", folded)
        return folded

    def unstated_money(self, folded: str) -> list[str]:
        """Money subjects the question names that the policy never sets or speaks of."""
        words = self.tokenizer.tagged(folded)
        unstated = []
        for index, (word, _) in enumerate(words):
            ending = next((noun for noun in self.money_nouns if word.endswith(noun)), None)
            if ending is None:
                continue
            following = words[index + 1][0] if index + 1 < len(words) else ""
            if word == ending and any(following.endswith(noun) for noun in self.money_nouns):
                continue  # "房租补贴": the money word before another is that one's subject
            if word != ending:
                subject = word[:-len(ending)]
            elif index and words[index - 1][1] in NOUN_FLAGS:
                subject = words[index - 1][0]  # the noun right before it: "培训 补贴", "专家 费"
            elif index >= 2 and words[index - 1][0] in self.links and words[index - 2][1] in NOUN_FLAGS:
                subject = words[index - 2][0]  # "培训 有 补贴吗": the noun before the linking verb
            else:
                subject = ""
            if not subject:
                if ending in self.specific_money and ending not in self.text:
                    unstated.append(ending)  # "贴息", "利率": a money word the policy never uses
                continue
            if len(subject) < SUBJECT_MIN_CHARS or not _CJK.fullmatch(subject) or self._is_facet(subject) \
                    or subject.startswith(self.references):
                continue
            whole = subject + ending
            if not self.states(subject, whole):
                unstated.append(whole)
        return list(dict.fromkeys(unstated))

    def unstated_money_en(self, folded: str) -> list[str]:
        """Money named in English that the policy never sets: a kind of money it never speaks of
        ("interest rate", "rent"), or a subsidy for something whose Chinese term stands in no
        sentence of the policy that sets money ("training subsidy")."""
        unstated = [word for word, pattern in self._english_specific
                    if pattern.search(folded) and word not in self.rules_english]
        for match in self._english_money.finditer(folded):
            subject = match.group(1)
            if subject in ENGLISH_NOT_SUBJECTS or subject in self.rules_english or any(
                    word in unstated for word in (subject, match.group(0))):
                continue
            terms = [zh for zh, en in self.english_terms if re.search(rf"\b{re.escape(subject)}\b", en)]
            if not any(self.states(zh, zh) for zh in terms):
                unstated.append(match.group(0))
        for match in self._english_money_for.finditer(folded):
            words = [word for word in match.groups() if word and word not in ENGLISH_NOT_SUBJECTS]
            if words and not any(self._known_english(word) for word in words):
                unstated.append(match.group(0))
        return list(dict.fromkeys(unstated))

    def _known_english(self, word: str) -> bool:
        """An English word the rules or the glossary use, so a subject it names is the policy's."""
        pattern = re.compile(rf"\b{re.escape(word.rstrip('s'))}")
        return bool(pattern.search(self.rules_english)) or any(pattern.search(en) for _, en in self.english_terms)

    def unmentioned(self, folded: str, skip: Cues) -> list[str]:
        """Words of a question the policy never uses and that do not stand for one of its terms
        ("二手", "进口", "分期付款"): what a yes/no rule question turns on but the policy does not say.
        Chinese words only: the policy is written in Chinese, so an English word says nothing."""
        # Only the clause that asks ("…，二手的算不算"): a caller's introduction is not what the rule turns on.
        asking = next((piece for piece in CLAUSE_BREAK.split(folded) if skip.search(piece)), folded)
        found = []
        words = self.tokenizer.tagged(asking)
        for index, (word, flag) in enumerate(words):
            following = words[index + 1][0] if index + 1 < len(words) else ""
            if following in self.enterprise_nouns or any(word.endswith(noun) for noun in self.enterprise_nouns):
                continue  # "纸品厂", "五金 企业": the trade the enterprise is in
            if (len(word) < SUBJECT_MIN_CHARS or not _CJK.fullmatch(word) or flag in FUNCTION_FLAGS
                    or _COUNTED.fullmatch(word) or word in self.question_words or word in self.tokenizer.stopwords
                    or skip.has_word(word) or word in self.text or self.tokenizer.callers_words(word)
                    or self._is_facet(word) or word in self.other_government):
                continue
            found.append(word)
        return list(dict.fromkeys(found))

    def unrecognised(self, folded: str, recognised_as: Cues, levels: frozenset[str]) -> list[str]:
        """A recognition the policy never names ("被认定为国家级专精特新"): the words after "认定为",
        past a level word, that no clause uses."""
        found = []
        for match in recognised_as.finditer(folded):
            named = ""  # the words after the level, up to the first function word ("绿色工厂名单")
            for word, flag in self.tokenizer.tagged(CLAUSE_BREAK.split(folded[match.end():])[0]):
                if word in levels or (not named and (flag in FUNCTION_FLAGS or word in self.tokenizer.stopwords)):
                    continue
                # Only a particle, preposition or pronoun ends the name: jieba may tag a name's last
                # word as an adverb ("专精 特新").
                if flag in NAME_ENDING_FLAGS or word in self.tokenizer.stopwords or not _CJK.fullmatch(word):
                    break
                named += word
            if len(named) >= SUBJECT_MIN_CHARS and named not in self.text and not self.tokenizer.callers_words(named) \
                    and not any(named in term or term in named for term in self.item_words):
                found.append(named)
        return found

    def _is_facet(self, word: str) -> bool:
        """"比例补助", "门槛": words of what is asked about money, not a kind of money."""
        return word in self.question_words or any(word in cues for cues in self.asked.values())

    def states(self, subject: str, whole: str) -> bool:
        if whole in self.text or any(word in whole for word in self.item_words):
            return True
        return any(subject in sentence for sentence in self.money_sentences)
