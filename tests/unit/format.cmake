# Tests of src/format.
dsv4_add_test(test_gguf
  SOURCES
    unit/test_gguf_roundtrip.cpp
    unit/test_gguf_malformed.cpp
    unit/test_gguf_info_cli.cpp
  LABELS unit)
# test_gguf_info_cli runs the dsv4 binary.
add_dependencies(test_gguf dsv4_cli)
