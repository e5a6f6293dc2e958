"""Orchestration: the DAG as data (read by the Makefile), the notebook runner, the multi-notebook steps, the
benchmark."""
