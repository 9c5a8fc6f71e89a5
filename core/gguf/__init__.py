"""llama.cpp's side of the project: GGUF conversion, quantization, Ollama Modelfiles and
generation with llama-cpp-python. Nothing here touches the job database."""
