"""Outputs: files, tables and reports rendered from analysis results."""
