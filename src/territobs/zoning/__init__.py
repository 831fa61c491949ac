"""Zones of every shape, unit × zone weights, and recomputation on zones."""
