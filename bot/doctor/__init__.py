"""`meetup-bot doctor` and the running bot's own checks: can the bot do, on each server, what the config asks?"""
