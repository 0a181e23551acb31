"""Polls' pure core: the kinds of poll, ballot validation, counting, the results chart and CSV.

Nothing here touches Telegram or the database: flows call these functions with plain values.
"""
