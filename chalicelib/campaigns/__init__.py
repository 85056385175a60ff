"""Campaigns: compose, schedule, launch, and the send pipeline."""
