# Tests of src/model/maker (the random-weight model maker) and `dsv4 make-model`.
dsv4_add_test(test_maker SOURCES
  unit/test_maker.cpp
  unit/test_maker_vocab.cpp
  unit/test_maker_cli.cpp
  LABELS unit)
# test_maker_cli runs the dsv4 binary.
add_dependencies(test_maker dsv4_cli)
