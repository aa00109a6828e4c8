"""Composers: turn retrieved, approved material into reply drafts.

The extractive composer (no LLM) lives in :mod:`agents.composer`; the LLM composer,
for any OpenAI-compatible endpoint, in :mod:`agents.composers.llm` (import it from
there: it pulls in LangChain, which the extractive path does not need).
"""
