"""The Qt-free core of the app: conversations on disk, settings, paths, the model library, downloads."""
