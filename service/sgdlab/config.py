"""Service settings from environment variables (pydantic-settings). Every setting is documented in README.md."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .limits import Limits


class Settings(BaseSettings):
    """sgdlab service settings; each field is read from SGDLAB_<NAME> (limits from SGDLAB_LIMITS__<NAME>)."""

    model_config = SettingsConfigDict(env_prefix="SGDLAB_", env_nested_delimiter="__", extra="ignore")

    host: str = Field("127.0.0.1", description="address `sgdlab serve` binds")
    port: int = Field(8000, description="port `sgdlab serve` listens on")
    data_dir: Path = Field(Path("./sgdlab-data"), description="folder of the SQLite job store (jobs.sqlite3)")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1,
                         description="local executor: worker processes (default: one per core)")
    concurrent_jobs: int = Field(2, ge=1, description="jobs run at the same time (their shards share the workers)")
    executor: Literal["local", "dask"] = Field("local", description="`local` process pool or `dask` (auto when "
                                               "SGDLAB_DASK_ADDRESS is set)")
    dask_address: Optional[str] = Field(None, description="Dask scheduler address, e.g. tcp://dask-scheduler:8786")
    api_keys: Optional[str] = Field(None, description="comma-separated bearer keys; unset: the service is open")
    log_level: str = Field("info", description="log level of the JSON logs")
    progress_interval: float = Field(0.5, gt=0, description="seconds between progress writes of a running job")
    http_keep_alive_timeout: float = Field(5, gt=0, description="seconds an idle keep-alive connection stays open")
    http_header_timeout: float = Field(10, gt=0, description="seconds to receive a request's headers (408, then "
                                       "the connection is closed)")
    http_body_timeout: float = Field(30, gt=0, description="seconds to receive a request's body after its headers "
                                     "(408: a Content-Length larger than the body sent is cut off)")
    http_max_connections: int = Field(1000, ge=1, description="open connections (one more is closed at once); "
                                       "capped below the process's file limit")
    shutdown_grace: float = Field(5, ge=0, description="seconds requests in flight get to finish on shutdown "
                                  "(then 503)")
    table_workers: int = Field(2, ge=1, description="processes that build tables, Vega specs and plots of results "
                               "(off the API's event loop)")
    metrics_token: Optional[str] = Field(None, description="bearer token /metrics requires; unset: /metrics is "
                                         "open (it shows job counts over all keys)")
    limits: Limits = Field(default_factory=Limits, description="resource bounds (see sgdlab/limits.py)")

    @cached_property
    def key_set(self) -> frozenset[str]:
        """The configured API keys (empty: auth disabled)."""
        return frozenset(k.strip() for k in (self.api_keys or "").split(",") if k.strip())

    @property
    def executor_kind(self) -> str:
        """`dask` when a scheduler address is set, else the configured kind."""
        return "dask" if self.dask_address else self.executor

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"
