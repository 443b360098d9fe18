"""Check-in at the door, attendance figures, turnout forecasts and exports; knows nothing about Discord."""
