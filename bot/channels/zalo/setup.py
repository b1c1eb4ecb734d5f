"""Build the Zalo client from settings (and seed the token pair on first start)."""

from __future__ import annotations

from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.tokens import TokenStore
from bot.settings import Settings, secret


def zalo_client(settings: Settings) -> ZaloClient:
    store = TokenStore(settings.var_dir / "zalo-token.lock")
    store.seed(secret(settings.zalo_access_token), secret(settings.zalo_refresh_token))
    return ZaloClient(
        settings.zalo_app_id,
        secret(settings.zalo_app_secret),
        store,
        api_base=settings.zalo_api_base,
        oauth_base=settings.zalo_oauth_base,
        button_type=settings.zalo_button_type,
        reply_by_message_id=settings.zalo_reply_by_message_id,
    )
