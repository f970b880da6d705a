"""Outputs: the finance workbook, the reproducible NAO report, its manifest and `verify`."""
