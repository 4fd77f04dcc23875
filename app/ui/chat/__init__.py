"""The chat: conversation list, messages, the composer and the session that drives them."""
