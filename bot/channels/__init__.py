"""Channels residents use (web chat, Telegram, Zalo): each writes its platform's messages
to the inbox (``bot.conversation.inbox``) before acknowledging them, and renders
``OutgoingMessage`` for its platform."""
