"""Durable jobs: reminders, sync polls, outbox delivery, driven by APScheduler."""
