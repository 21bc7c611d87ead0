"""The web ring shared by every package: app-scoped services, transactions, errors."""
