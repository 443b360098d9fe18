"""The Discord side of the bot: the client, error handling and message formatting (no business rules)."""
