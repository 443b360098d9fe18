"""The bot's own HTTP server (`http.listen`): the git webhook today."""
