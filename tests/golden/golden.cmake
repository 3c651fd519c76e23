# Golden tests: logits and traces vs ../shared/testdata.
dsv4_add_test(test_golden_deepseek2
  SOURCES golden/test_golden_deepseek2.cpp golden/golden_util.cpp
  LABELS golden)
dsv4_add_test(test_golden_deepseek4
  SOURCES golden/test_golden_deepseek4.cpp golden/golden_util.cpp
  LABELS golden)
dsv4_add_test(test_mid_model
  SOURCES golden/test_mid_model.cpp golden/golden_util.cpp
  LABELS golden)
