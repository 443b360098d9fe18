"""A local Discord-compatible server (REST v10 + gateway) that the real discord.py client talks to."""

from bot.sandbox.ratelimit import RateLimit
from bot.sandbox.seed import SandboxSeed, SeedGuild
from bot.sandbox.server import SandboxServer

__all__ = ["RateLimit", "SandboxSeed", "SandboxServer", "SeedGuild"]
