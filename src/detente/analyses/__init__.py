"""Analyses on top of the models: power indices, backtests."""
