"""The remote backend: chatting with an OpenAI-compatible server over HTTP."""
