"""Prometheus metrics of the service (one registry per app). No metric is ever labelled with a job id."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class _StoreCollector:
    """Jobs by status and queue depth, read from the store at scrape time."""

    def __init__(self, store):
        self.store = store

    def collect(self):
        counts = self.store.counts_by_status()
        jobs = GaugeMetricFamily("sgdlab_jobs", "Jobs by status", labels=["status"])
        for s in JOB_STATUSES:
            jobs.add_metric([s], counts.get(s, 0))
        yield jobs
        yield GaugeMetricFamily("sgdlab_queue_depth", "Jobs waiting in the queue", value=counts.get("queued", 0))


class Metrics:
    """The service's metrics, registered in their own CollectorRegistry."""

    def __init__(self, store):
        self.registry = CollectorRegistry()
        self.registry.register(_StoreCollector(store))
        buckets = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
        self.job_duration = Histogram("sgdlab_job_duration_seconds", "Wall time of finished jobs", ["kind"],
                                      buckets=buckets, registry=self.registry)
        self.queue_wait = Histogram("sgdlab_job_queue_wait_seconds", "Time jobs waited in the queue",
                                    buckets=buckets, registry=self.registry)
        self.particle_steps = Counter("sgdlab_particle_steps", "Particle-steps simulated by finished jobs",
                                      registry=self.registry)
        self.http_requests = Counter("sgdlab_http_requests", "HTTP requests", ["method", "route", "status"],
                                     registry=self.registry)
        self.http_duration = Histogram("sgdlab_http_request_duration_seconds", "HTTP request latency",
                                       ["method", "route"], registry=self.registry)
