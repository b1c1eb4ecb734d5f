"""The gateway (FastAPI): channels, the web chat, health; in front of Rasa."""
