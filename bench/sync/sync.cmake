# The content sync benchmark (issue 7 §4): see bench/sync/main.cpp and run.sh.
acid_add_bench(bench_sync
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${PROJECT_SOURCE_DIR}/tests/sync/live_env.cpp
  ${PROJECT_SOURCE_DIR}/tests/pds/xrpc_test_support.cpp)
target_include_directories(bench_sync PRIVATE ${PROJECT_SOURCE_DIR}/tests
                                              ${PROJECT_SOURCE_DIR}/tests/pds
                                              ${PROJECT_SOURCE_DIR}/tests/sync)

# Write-time mirroring latency (issue 15 §5): bench/sync/document.cpp, run_document.sh.
acid_add_bench(bench_sync_document
  ${CMAKE_CURRENT_LIST_DIR}/document.cpp
  ${PROJECT_SOURCE_DIR}/tests/sync/live_env.cpp
  ${PROJECT_SOURCE_DIR}/tests/pds/xrpc_test_support.cpp)
target_include_directories(bench_sync_document PRIVATE ${PROJECT_SOURCE_DIR}/tests
                                                       ${PROJECT_SOURCE_DIR}/tests/pds
                                                       ${PROJECT_SOURCE_DIR}/tests/sync)
