"""The console's routes under /console, and its stylesheet."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.console.pages import STATIC_DIR, ConsoleProblem, ConsoleRoute
from bot.console.routes import articles, auth, history, questions, team, tickets

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
router.include_router(auth.router)
router.include_router(tickets.router)
router.include_router(history.router)
router.include_router(articles.router)
router.include_router(questions.router)
router.include_router(team.router)


STATIC = {"console.css": "text/css", "icon.svg": "image/svg+xml"}


@router.get("/console/static/{name}")
async def static_file(name: str) -> FileResponse:
    media_type = STATIC.get(name)
    if media_type is None:  # a fixed list: no path ever reaches the file system unchecked
        raise ConsoleProblem(404, "Không có tệp này.")
    # Revalidated on each load (ETag): a new release's styles show at once.
    return FileResponse(
        STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": "no-cache"}
    )
