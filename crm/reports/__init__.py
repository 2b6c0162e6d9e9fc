"""Figures computed from many records: the dashboard's team figures (later, the reports)."""
