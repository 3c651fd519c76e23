# Tests of src/tokenizer, its C ABI and its CLI commands.
dsv4_add_test(test_tokenizer
  SOURCES
    unit/test_tokenizer.cpp
    unit/test_tokenizer_golden.cpp
    unit/test_tokenizer_props.cpp
    unit/test_tokenizer_api.cpp
  LABELS unit)
# test_tokenizer_api runs the dsv4 binary.
add_dependencies(test_tokenizer dsv4_cli)
