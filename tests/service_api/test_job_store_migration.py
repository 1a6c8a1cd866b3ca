"""A job store written before jobs kept their submission warnings opens, keeps its jobs, and stores them from then on."""

import sqlite3

from sgdlab.jobs.store import SCHEMA, JobStore


def test_a_store_without_the_warnings_column_gains_it(tmp_path):
    path = tmp_path / "jobs.sqlite"
    old_schema = SCHEMA.replace("attempts INTEGER NOT NULL DEFAULT 0,\n    warnings TEXT\n",
                                "attempts INTEGER NOT NULL DEFAULT 0\n")
    assert old_schema != SCHEMA
    db = sqlite3.connect(path)
    db.executescript(old_schema)
    db.execute("INSERT INTO jobs (id, owner, kind, status, spec, spec_hash, created_at) "
               "VALUES ('old', '-', 'simulation', 'queued', '{}', 'h', 't')")
    db.commit()
    db.close()
    store = JobStore(path)
    try:
        assert store.get_status("old").warnings is None
        rec, created = store.create("-", "simulation", {"a": 1}, warnings=[{"code": "large_lr", "value": 0.3}])
        assert created and store.get_status(rec.id).warnings == [{"code": "large_lr", "value": 0.3}]
        assert store.get(rec.id).spec == {"a": 1}
    finally:
        store.close()
