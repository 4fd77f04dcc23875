"""The model host: everything that touches llama.cpp. Imports no Qt (checked by import-linter)."""
