"""Programmes: cohorts, coordinators, broadcasts, health figures, reports and safety."""
