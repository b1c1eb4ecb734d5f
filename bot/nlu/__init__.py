"""Rasa NLU graph components (tokenizer, arbiter: imported by the Rasa venv, need ``rasa``)
and the arbitration rules they apply (``arbitration``: stdlib only, shared with the
action server)."""
