"""Prefect flows: thin orchestration over the stage modules in ``tasks``."""
