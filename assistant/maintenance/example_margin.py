"""How sure the example fallback must be: leave-one-out over corpus/vocabulary/examples.yaml with
the real embedding model. Each utterance is routed by the others; per margin, the share of
utterances the examples decide and how many of those they decide rightly. The margin in
understanding/examples.py (MARGIN) is read off this table.

    python -m assistant.maintenance.example_margin"""

from __future__ import annotations

import sys

from assistant.config import get_settings, set_offline_environment

MARGINS = (0.0, 0.004, 0.008, 0.01, 0.012, 0.014, 0.016, 0.02, 0.025)


def main() -> int:
    set_offline_environment()
    from assistant.retrieval.embeddings import Embedder
    from assistant.understanding.examples import ExampleRouter

    settings = get_settings()
    router = ExampleRouter.from_folder(settings.corpus_dir / "vocabulary", Embedder.from_settings(settings))
    routes = [router.nearest(text, exclude=index) for index, text in enumerate(router.texts)]
    group = {label: label.split(".")[0] for label in router.classes}
    print(f"{len(router.texts)} examples in {len(set(router.labels))} classes (leave-one-out)")
    print(f"  {'margin':>7} {'decided':>9} {'right':>9} {'right kind':>11}   (kind: asked / refuse / outside)")
    for margin in MARGINS:
        decided = [(route, label) for route, label in zip(routes, router.labels, strict=True)
                   if route and route.margin >= margin]
        right = sum(route.label == label for route, label in decided) / max(1, len(decided))
        kind = sum(group[route.label] == group[label] for route, label in decided) / max(1, len(decided))
        print(f"  {margin:7.3f} {len(decided) / len(routes):9.1%} {right:9.1%} {kind:11.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
