"""Suggestion agents (script suggestion, competitor response, contract risk), router,
composers, compliance guard, charts and trigger rules. Built in issue #4 onwards."""
