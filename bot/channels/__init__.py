"""Channels residents use (web chat, Telegram, Zalo): each turns its platform's updates
into ``Dispatcher.handle`` calls and renders ``OutgoingMessage`` for its platform."""
