"""The domain: what a Zona Integritas case is and how it may move (DOMAIN.md)."""
