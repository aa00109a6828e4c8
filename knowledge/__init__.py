"""Desensitization, embeddings, the Chroma knowledge pool, ingest, annotation and review,
the product catalog and the legal anchor library."""
