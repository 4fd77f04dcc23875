"""The models window: what is on this computer, and downloads."""
