"""Rare-event exit times: adaptive multilevel splitting (AMS) on the job's own dynamics and its MFPT estimator."""
