# The content sync benchmark (issue 7 §4): see bench/sync/main.cpp and run.sh.
acid_add_bench(bench_sync
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${PROJECT_SOURCE_DIR}/tests/sync/live_env.cpp
  ${PROJECT_SOURCE_DIR}/tests/pds/xrpc_test_support.cpp)
target_include_directories(bench_sync PRIVATE ${PROJECT_SOURCE_DIR}/tests
                                              ${PROJECT_SOURCE_DIR}/tests/pds
                                              ${PROJECT_SOURCE_DIR}/tests/sync)
