"""The admin dashboard: overview charts, uploads and import reports, browsers, users and settings."""
