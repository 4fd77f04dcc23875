"""Reading GGUF model files: the header, typed fields, llama.cpp's aborting limits, model facts."""
