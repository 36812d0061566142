"""The bottom floor for words: text folding and scripts, the tokenizer, the steering vocabulary
and the reading of data files with the line a problem comes from. Understanding, retrieval and the
corpus all stand on it and none of them on another for it."""
