"""Builds components from settings and runs them under one TaskGroup until told to stop."""
