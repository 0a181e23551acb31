"""Front ends: one per Telegram framework, each only receiving updates and carrying calls."""
