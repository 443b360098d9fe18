"""Scheduled announcements, reminders and agenda posts: planned from events, recorded in the post ledger."""
