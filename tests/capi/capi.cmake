# C ABI tests: C99 programs compiled with -Wall -Wextra -pedantic -Werror, linked against the
# shared library, plus a check that libdsv4.so exports only dsv4_* symbols.
add_executable(test_capi capi/test_capi.c)
set_target_properties(test_capi PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(test_capi PRIVATE -Wall -Wextra -pedantic -Werror)
target_include_directories(test_capi PRIVATE ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(test_capi PRIVATE dsv4)
add_test(NAME test_capi COMMAND test_capi ${DSV4_TESTDATA_DIR})
set_tests_properties(test_capi PROPERTIES LABELS capi TIMEOUT 300)

add_test(NAME check_exports COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/capi/check_exports.sh $<TARGET_FILE:dsv4>)
set_tests_properties(check_exports PROPERTIES LABELS capi)
