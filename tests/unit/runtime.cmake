# Tests of src/runtime: sampling, stop strings, chat layouts, generation.
dsv4_add_test(test_sampler SOURCES unit/test_sampler.cpp LABELS unit)
dsv4_add_test(test_chat_format SOURCES unit/test_chat_format.cpp LABELS unit)
dsv4_add_test(test_generate SOURCES unit/test_generate.cpp LABELS unit)
dsv4_add_test(test_thread_pool SOURCES unit/test_thread_pool.cpp LABELS unit)
dsv4_add_test(test_run_cli SOURCES unit/test_run_cli.cpp LABELS unit)
add_dependencies(test_run_cli dsv4_cli)  # runs the dsv4 binary

# The C example (examples/c/generate.c) runs end to end on a test model when examples are
# built: load, tokenize, stream, free through the public C ABI only.
if(DSV4_BUILD_EXAMPLES)
  add_test(NAME example_generate
    COMMAND example_generate ${DSV4_TESTDATA_DIR}/models/ds3-tiny-f32.gguf "def add(a, b):" 16)
  set_tests_properties(example_generate PROPERTIES LABELS capi TIMEOUT 120
    PASS_REGULAR_EXPRESSION "generated [0-9]+ tokens")
endif()
