"""Build the Zalo client from settings (and seed the token pair on first start)."""

from __future__ import annotations

from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.tokens import TokenStore
from bot.settings import Settings


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""


def zalo_client(settings: Settings) -> ZaloClient:
    store = TokenStore(settings.var_dir / "zalo-token.lock")
    store.seed(_secret(settings.zalo_access_token), _secret(settings.zalo_refresh_token))
    return ZaloClient(
        settings.zalo_app_id,
        _secret(settings.zalo_app_secret),
        store,
        api_base=settings.zalo_api_base,
        oauth_base=settings.zalo_oauth_base,
        button_type=settings.zalo_button_type,
    )
