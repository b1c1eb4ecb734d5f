"""The team console at /console (being built)."""

from fastapi import APIRouter

router = APIRouter()
