"""The admin overview: counts, charts and recent activity."""
