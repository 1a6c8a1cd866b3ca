"""The FastAPI application: routes, problem handlers, middleware and the lifespan that owns store and dispatcher."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from .. import __version__
from ..config import Settings
from ..jobs.dispatcher import Dispatcher
from ..jobs.executors import Executor, make_executor
from ..jobs.request_pool import REQUEST_POOL
from ..jobs.store import JobStore
from ..logging_json import configure_logging
from ..metrics import Metrics
from .docs_pages import install_docs_pages
from .middleware import BodyGuard, HttpMetrics, LoneSurrogates, ShutdownAnswers503
from .openapi_doc import install_openapi
from .problems import install_problem_handlers
from .render_pool import RenderPool
from .routes import analysis, artifacts, health, jobs

log = logging.getLogger("sgdlab.api")

DESCRIPTION = """Where SGD goes on a non-convex loss: queue vectorised simulations of many SGD particles and get
histograms, basin occupation, exit-time estimates and Gibbs fits (beta = 2B/lr). Errors are RFC 9457 problem
documents. The full contract is docs/API.md in the repository; see the project README for a walk-through."""


@dataclass
class AppState:
    """What the routes share: settings, the job store, the executor, the dispatcher and the metrics."""

    settings: Settings
    store: JobStore
    executor: Executor
    dispatcher: Dispatcher
    metrics: Metrics
    renderer: RenderPool


def create_app(settings: Settings | None = None, executor: Executor | None = None) -> FastAPI:
    """Build the app; the store, executor and dispatcher start in the lifespan and stop with it."""
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = JobStore(settings.db_path)
        ex = executor or make_executor(settings)
        metrics = Metrics(store)
        dispatcher = Dispatcher(store, ex, settings, metrics)
        renderer = RenderPool(settings.db_path, settings.table_workers, settings.data_dir / "render-tmp")
        app.state.sgdlab = AppState(settings, store, ex, dispatcher, metrics, renderer)
        app.state.metrics_holder.metrics = metrics
        dispatcher.start()
        log.info("sgdlab ready", extra={"executor": settings.executor_kind, "data_dir": str(settings.data_dir)})
        try:
            yield
        finally:
            dispatcher.stop()
            renderer.close()
            REQUEST_POOL.close()     # its workers end with the app (a later app starts a fresh pool on demand)
            if executor is None:
                ex.close()
            store.close()

    app = FastAPI(title="sgdlab", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    install_problem_handlers(app)
    install_openapi(app)
    install_docs_pages(app)
    for r in (health.router, analysis.router, jobs.router, artifacts.router):
        app.include_router(r)
    try:
        from ..dashboard.routes import router as dashboard_router
        app.include_router(dashboard_router)
    except ImportError:  # pragma: no cover - the dashboard is optional during development
        pass

    class _Holder:
        metrics = None

    app.state.metrics_holder = _Holder()

    class _LazyMetrics:
        """Forward to the metrics made in the lifespan (middleware is built before it runs)."""

        def __getattr__(self, name):
            return getattr(app.state.metrics_holder.metrics, name)

    app.add_middleware(LoneSurrogates)
    app.add_middleware(HttpMetrics, metrics=_LazyMetrics())
    app.add_middleware(BodyGuard, max_bytes=settings.limits.max_body_bytes, route_limits={
        "/v1/markov-chains/analyze": ("max_markov_body_bytes", settings.limits.max_markov_body_bytes)})
    app.add_middleware(ShutdownAnswers503)
    return app
