"""Tandem: customer service where an AI front line and human agents work as one team."""

__version__ = "0.1.0"
