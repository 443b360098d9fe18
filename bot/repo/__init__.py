"""The group's events repository: the git command line, sync into the database, write-back commits."""
