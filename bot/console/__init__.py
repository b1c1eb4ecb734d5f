"""The team console at /console: ward team members sign in, see their team's queue of
handed-off residents, claim a ticket, talk with the resident, keep internal notes and
close it. Residents and the Telegram group hear about every step through the desk."""

from bot.console.routes import router

__all__ = ["router"]
