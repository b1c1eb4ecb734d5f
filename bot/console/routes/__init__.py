"""The console's routes under /console, and its stylesheet."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.console.pages import STATIC_DIR, ConsoleProblem, ConsoleRoute
from bot.console.routes import articles, auth, dashboard, history, questions, team, tickets

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
router.include_router(auth.router)
router.include_router(tickets.router)
router.include_router(history.router)
router.include_router(articles.router)
router.include_router(questions.router)
router.include_router(team.router)
router.include_router(dashboard.router)


# name in the URL: (file under static/, media type). Chart.js is the project's copy
# (vendor/, MIT licence beside it): the console loads nothing from elsewhere.
STATIC = {
    "console.css": ("console.css", "text/css"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
    "dashboard.js": ("dashboard.js", "text/javascript"),
    "chart.umd.min.js": ("vendor/chart-4.6.2.umd.min.js", "text/javascript"),
}


@router.get("/console/static/{name}")
async def static_file(name: str) -> FileResponse:
    found = STATIC.get(name)
    if found is None:  # a fixed list: no path ever reaches the file system unchecked
        raise ConsoleProblem(404, "Không có tệp này.")
    path, media_type = found
    # Revalidated on each load (ETag): a new release's files show at once.
    return FileResponse(
        STATIC_DIR / path, media_type=media_type, headers={"Cache-Control": "no-cache"}
    )
