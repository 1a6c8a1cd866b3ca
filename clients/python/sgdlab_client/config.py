"""Client settings: base URL, API key, timeouts and retry policy, with defaults from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

DEFAULT_URL = "http://127.0.0.1:8000"
URL_ENV = "SGDLAB_URL"
API_KEY_ENV = "SGDLAB_API_KEY"


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to reach the service; build it with `ClientConfig.resolve`."""

    base_url: str = DEFAULT_URL
    api_key: Optional[str] = None
    timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 20.0

    @classmethod
    def resolve(cls, base_url: Optional[str] = None, api_key: Optional[str] = None, **kwargs) -> "ClientConfig":
        """Arguments win over `SGDLAB_URL` / `SGDLAB_API_KEY`, which win over the defaults."""
        url = base_url or os.environ.get(URL_ENV) or DEFAULT_URL
        key = api_key if api_key is not None else (os.environ.get(API_KEY_ENV) or None)
        return cls(base_url=url.rstrip("/"), api_key=key, **{k: v for k, v in kwargs.items() if v is not None})
