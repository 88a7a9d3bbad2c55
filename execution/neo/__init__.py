"""Kotak Neo behind the engine's ports: the SDK import, the session and login, the broker adapter, the order feed,
the scrip master, and `wire`, which parses every reply. Only this package imports `neo_api_client`."""
