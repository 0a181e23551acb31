"""Telegram front ends, delivery and the runtime: the only code that knows Telegram frameworks."""
