"""Benchmarks: throughput of the gateway's hot paths as ratios to a baseline (``make bench``)."""
