"""Rasa NLU graph components (imported by the Rasa venv only; needs ``rasa``)."""
