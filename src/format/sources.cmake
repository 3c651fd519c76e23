# Sources of src/format (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/format/ggml_type.cpp
  src/format/gguf_reader.cpp
  src/format/gguf_writer.cpp
)
