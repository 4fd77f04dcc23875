"""The desktop window. Talks to the model only through EngineHost, on the qasync event loop."""
