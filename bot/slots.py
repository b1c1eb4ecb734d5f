"""The names of Rasa's slots that Python code reads or sets (the actions, the handoff
desk's pause and resume): one place, checked against domain.yml by tests/test_slots.py."""

from __future__ import annotations

HANDOFF_TICKET = "handoff_ticket"  # the open ticket while a person has the conversation
KB_LAST_ARTICLE = "kb_last_article"  # the article last answered (follow-ups, feedback)
KB_LAST_QUESTION = "kb_last_question"  # the question the knowledge base last tried
KB_UNSURE_STREAK = "kb_unsure_streak"  # unsure answers in a row (twice: a person)
REQUESTED_SLOT = "requested_slot"  # Rasa's own: the form's question in progress
