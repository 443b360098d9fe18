"""`meetup-bot lint`: checks on event files without a database, for pull requests of the events repository."""
