"""Scheduling: rules, their next occurrences, and the items the dispatcher sends."""
