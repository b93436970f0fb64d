# Handle rules: pure functions, no PDS needed. Fixtures: tests/pds/fixtures/handle_syntax_*.txt.
acid_add_test(test_pds_handle SOURCES ${CMAKE_CURRENT_LIST_DIR}/handle_test.cpp)
