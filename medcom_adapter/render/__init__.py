"""Messages rendered for people: ``text`` for terminals, exports and the service's filing."""
