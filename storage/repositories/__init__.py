"""Repositories: the only place that builds SQL."""
