"""The fused retriever for LangChain users: documents carry location, title and doc id."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.hybrid import HybridRetriever, Mode


class PolicyRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int = 3
    mode: Mode = "fusion"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[LCDocument]:
        return [LCDocument(page_content=hit.clause.text,
                           metadata={"doc_id": hit.clause.doc_id, "clause_id": hit.clause.clause_id,
                                     "location": hit.clause.location, "title": hit.title,
                                     "score": hit.score})
                for hit in self.hybrid.retrieve(query, self.k, self.mode).hits]
