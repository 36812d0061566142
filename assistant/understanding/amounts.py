"""Old name of assistant.understanding.figures, with labels split by the policy's tokenizer."""
# transitional: removed once dialogue reads Figures

from functools import lru_cache

from calculators.reading import AmountError, parse_amount, validate_amount

from assistant.config import get_settings
from assistant.retrieval.lexical import tokenizer_for
from assistant.understanding.figures import Figure as Amount
from assistant.understanding.figures import find_figures


@lru_cache(maxsize=1)
def _words():
    return tokenizer_for(get_settings()).words  # built on first use: loading jieba takes a second


def find_amounts(text: str) -> list[Amount]:
    return find_figures(text, _words())


__all__ = ["Amount", "AmountError", "find_amounts", "parse_amount", "validate_amount"]
