"""RSVPs: who is going, maybe, not going or waitlisted for an event."""
