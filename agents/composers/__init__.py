"""Composers: turn retrieved, approved material into reply drafts.

The extractive composer (no LLM) is :mod:`agents.composers.extractive`; the LLM
composer, for any OpenAI-compatible endpoint, is :mod:`agents.composers.llm`
(import it from there: it pulls in LangChain, which the extractive path does not
need); :mod:`agents.composers.grounded` runs an agent with either.
"""
