# Sources of src/model/maker, the random-weight model maker (explicit list, no GLOB).
set(DSV4_MAKER_SOURCES
  src/model/maker/maker.cpp
  src/model/maker/maker_config_json.cpp
  src/model/maker/maker_deepseek2.cpp
  src/model/maker/maker_deepseek4.cpp
  src/model/maker/maker_presets.cpp
  src/model/maker/maker_types.cpp
  src/model/maker/maker_validate.cpp
  src/model/maker/random.cpp
  src/model/maker/tensor_data.cpp
  src/model/maker/tensor_plan.cpp
  src/model/maker/vocab_source.cpp
)
list(APPEND DSV4_LIB_SOURCES ${DSV4_MAKER_SOURCES})
# The same seed must give the same bytes in every build: a fused multiply-add (GCC's default
# whenever the target has FMA) would round the generated values differently.
set_source_files_properties(${DSV4_MAKER_SOURCES} PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
