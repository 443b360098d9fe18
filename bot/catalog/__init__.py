"""The event catalog: event files parsed into records and kept in the database."""
