"""The KV lab window and its charts."""
