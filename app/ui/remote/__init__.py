"""Chatting through a server: the connect dialog, the remote panel and the mode switch."""
