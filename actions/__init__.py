"""Rasa custom actions (rasa-sdk, Python 3.11). Thin: the logic lives in bot/."""
