"""Dependency graph of systems and interfaces: fan-in/out, blast radius, clusters, modernisation waves."""
