"""Curated knowledge bases: small document collections a specialist answers from.

A knowledge base is a list of `Document`s (a markdown file's `## ` sections become documents).
`search` ranks them by embedding similarity blended with keyword overlap, so exact terms such as
"Aetna" or "MyChart" count even when the sentence embedding is vague.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from frontdesk.embeddings import Embedder, Vectors, default_embedder

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    (
        "a an and are as at be by can do does for from how i if in is it me my of on or our "
        "the to was we what when where which who why will with you your"
    ).split()
)


# a sentence ends at . ! ? followed by space, except after common abbreviations ("Dr. Patel")
_SENTENCE_END = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<!\be\.g\.)(?<!\bi\.e\.)"
    r"(?<!\bvs\.)(?<=[.!?])\s+|\n+"
)


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


@dataclass(kw_only=True, slots=True, frozen=True)
class Document:
    """One passage: a title, its text, and a stable id to cite."""

    id: str
    title: str
    text: str
    tags: tuple[str, ...] = ()
    url: str = ""
    """Where the passage comes from, for citing (empty for the app's own guidance)."""


@dataclass(kw_only=True, slots=True, frozen=True)
class Hit:
    """A document and how well it matched a query (0..1). `covered` is false for a source's
    closest passage when nothing cleared its "not covered" cut: a pointer, not an answer."""

    document: Document
    score: float
    covered: bool = True


class KnowledgeSource(Protocol):
    """What a specialist searches: a curated `KnowledgeBase` or an index opened as
    `IndexedKnowledge`. `search` returns only passages relevant enough to answer from (an empty
    list means "not covered")."""

    @property
    def name(self) -> str: ...

    def search(self, query: str, *, k: int = 3) -> list[Hit]: ...


@dataclass(kw_only=True)
class KnowledgeBase:
    """A searchable collection of documents."""

    name: str
    documents: Sequence[Document]
    embedder: Embedder | None = None
    _vectors: Vectors | None = field(default=None, repr=False)

    @classmethod
    def from_markdown(
        cls, name: str, *paths: Path, embedder: Embedder | None = None
    ) -> KnowledgeBase:
        """Each `## Title` section of each file becomes a document."""
        documents: list[Document] = []
        for path in paths:
            text = path.read_text(encoding="utf-8")
            for index, section in enumerate(re.split(r"^## +", text, flags=re.MULTILINE)[1:]):
                title, _, body = section.partition("\n")
                body = body.strip()
                if body:
                    doc_id = f"{path.stem}#{index + 1}"
                    documents.append(Document(id=doc_id, title=title.strip(), text=body))
        return cls(name=name, documents=documents, embedder=embedder)

    def _embedder(self) -> Embedder:
        if self.embedder is None:
            self.embedder = default_embedder()
        return self.embedder

    def _document_vectors(self) -> Vectors:
        if self._vectors is None:
            texts = [f"{d.title}. {d.text}" for d in self.documents]
            self._vectors = self._embedder().embed(texts)
        return self._vectors

    def search(self, query: str, *, k: int = 3, min_score: float = 0.25) -> list[Hit]:
        """The best `k` documents for `query`, best first, each scoring at least `min_score`."""
        if not self.documents or not query.strip():
            return []
        query_vector = self._embedder().embed([query])[0]
        semantic = self._document_vectors() @ query_vector
        query_terms = _terms(query)
        hits: list[Hit] = []
        for document, cosine in zip(self.documents, semantic, strict=True):
            doc_terms = _terms(f"{document.title} {document.text}")
            title_terms = _terms(document.title)
            overlap = len(query_terms & doc_terms) / max(len(query_terms), 1)
            title_overlap = len(query_terms & title_terms) / max(len(query_terms), 1)
            score = 0.65 * float(cosine) + 0.25 * overlap + 0.10 * title_overlap
            hits.append(Hit(document=document, score=score))
        hits.sort(key=lambda h: h.score, reverse=True)
        return [h for h in hits[:k] if h.score >= min_score]


@dataclass(kw_only=True)
class FirstCovered:
    """Several knowledge sources tried in order: the first that returns any hit answers (an
    indexed corpus first, the app's own curated guidance when the corpus says "not covered")."""

    sources: Sequence[KnowledgeSource]
    name: str = "first-covered"

    def search(self, query: str, *, k: int = 3) -> list[Hit]:
        """The first source's covered hits; when none covers the question, the first closest
        passage any source offered (uncovered), else nothing."""
        closest: list[Hit] = []
        for source in self.sources:
            hits = source.search(query, k=k)
            if any(h.covered for h in hits):
                return hits
            closest = closest or hits
        return closest


def best_sentences(document: Document, query: str, *, limit: int = 3) -> str:
    """The sentences of a document that share the most terms with the query, in reading order."""
    sentences = [s.strip() for s in _SENTENCE_END.split(document.text) if s.strip()]
    if len(sentences) <= limit:
        return " ".join(sentences)
    query_terms = _terms(query)
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (len(query_terms & _terms(sentences[i])), -i),
        reverse=True,
    )[:limit]
    return " ".join(sentences[i] for i in sorted(ranked))


__all__ = [
    "Document",
    "FirstCovered",
    "Hit",
    "KnowledgeBase",
    "KnowledgeSource",
    "best_sentences",
]
